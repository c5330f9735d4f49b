/**
 * The Instagram channel end to end: signed webhook deliveries from a fake Meta, answers from the
 * real conversation core on an embedded database, sends recorded by a fake Graph API.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { customerPhoto } from '../../helpers/colour-model.ts';
import { delivery, sign, startInstagramHarness, VERIFY_TOKEN, type InstagramHarness } from '../../helpers/fake-graph/harness.ts';
import type { RecordedSend } from '../../helpers/fake-graph/server.ts';

const DISCLOSURE = "I'm ShopLens, this shop's automatic assistant 🤖";

let customerCounter = 0;
/** A fresh customer per test, so rate limits, disclosure and windows do not leak between tests. */
function newCustomer(): string {
  return `90000000000${++customerCounter}`;
}

/** POSTs on a connection of its own (a refused oversized body leaves its connection unusable for the fetch pool). */
function postOnOwnConnection(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end(body);
  });
}

function carouselOf(send: RecordedSend | undefined) {
  const elements = send?.message.attachment?.payload.elements;
  assert.ok(elements, `expected a carousel, got ${JSON.stringify(send?.message)}`);
  return elements;
}

describe('Instagram channel', () => {
  let harness: InstagramHarness;

  before(async () => {
    // Three products per page, so "Show more" has a next page; a small byte limit for the oversized-photo test.
    harness = await startInstagramHarness({ env: { SEARCH_TOP_K: '3', IMAGE_MAX_BYTES: '200000' } });
  });
  after(() => harness?.close());

  describe('webhook verification handshake', () => {
    it('answers the challenge when the verify token matches', async () => {
      const url = `${harness.webhookUrl}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`;
      const response = await fetch(url);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), '1158201444');
    });

    it('refuses a wrong token or mode with 403', async () => {
      const wrongToken = await fetch(`${harness.webhookUrl}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1`);
      assert.equal(wrongToken.status, 403);
      const wrongMode = await fetch(`${harness.webhookUrl}?hub.mode=unsubscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`);
      assert.equal(wrongMode.status, 403);
      assert.notEqual(await wrongMode.text(), '1');
    });
  });

  describe('signed deliveries', () => {
    it('refuses unsigned and wrongly signed POSTs with 403 and answers nobody', async () => {
      const customer = newCustomer();
      const body = delivery({ sender: customer, text: 'red dress' });
      assert.equal((await harness.deliver(body, { signature: null })).status, 403);
      assert.equal((await harness.deliver(body, { signature: sign(JSON.stringify(body), 'ffffffffffffffffffffffffffffffff') })).status, 403);
      assert.equal((await harness.deliver(body, { signature: 'sha1=0123' })).status, 403);
      await harness.instagram.channel.drain();
      assert.equal(harness.graph.sendsTo(customer).length, 0);
    });

    it('accepts a correctly signed POST with 200 and answers in the background', async () => {
      const customer = newCustomer();
      const response = await harness.deliver(delivery({ sender: customer, text: 'red dress' }));
      assert.equal(response.status, 200);
      await harness.instagram.channel.drain();
      assert.ok(harness.graph.sendsTo(customer).length > 0);
      assert.ok(harness.instagram.health().lastWebhookAt);
    });

    it('refuses bodies over the size limit (413) and signed bodies that are not JSON (400)', async () => {
      assert.equal(await postOnOwnConnection(harness.webhookUrl, 'x'.repeat(1024 * 1024 + 1)), 413);
      const raw = '{"object": "instagram",';
      const broken = await fetch(harness.webhookUrl, { method: 'POST', body: raw, headers: { 'x-hub-signature-256': sign(raw) } });
      assert.equal(broken.status, 400);
    });
  });

  it('answers a photo with a carousel, the right product first, then the text fallback; the first reply discloses the bot', async () => {
    const customer = newCustomer();
    const url = harness.images.host('red-photo.jpg', await customerPhoto(['#ff0000']));
    await harness.send({ sender: customer, imageUrl: url });
    const sends = harness.graph.sendsTo(customer);
    assert.equal(sends.length, 3, JSON.stringify(sends.map((send) => send.message)));
    assert.equal(sends[0]!.message.text, DISCLOSURE);
    const elements = carouselOf(sends[1]);
    assert.equal(elements.length, 3);
    assert.equal(elements[0]!.title, '#1 Red dress');
    assert.match(elements[0]!.subtitle ?? '', /49\.90.*3 in stock/);
    assert.match(elements[0]!.image_url ?? '', /^https:\/\/shop\.example\/media\/images\/[0-9a-f]{2}\/[0-9a-f]{64}\.jpg$/);
    assert.deepEqual(elements[0]!.buttons?.map((button) => [button.type, button.title]), [['postback', 'More like #1'], ['web_url', 'View product']]);
    assert.equal(elements[0]!.buttons?.[1]?.url, 'https://shop.example/red-dress');
    const fallback = sends[2]!.message;
    assert.match(fallback.text ?? '', /^Here is what I found/);
    assert.match(fallback.text ?? '', /#1 Red dress · €49\.90 · 3 in stock · https:\/\/shop\.example\/red-dress/);
    assert.deepEqual(fallback.quick_replies?.map((reply) => reply.title), ['Show more ▸']);
    assert.equal(harness.images.hits.get('red-photo.jpg'), 1);

    // The next answer to the same customer comes without the introduction.
    await harness.send({ sender: customer, imageUrl: url });
    const later = harness.graph.sendsTo(customer).slice(3);
    assert.equal(later.length, 2);
    assert.ok(later[0]!.message.attachment);
  });

  it('answers a text message with a text search', async () => {
    const customer = newCustomer();
    await harness.send({ sender: customer, text: 'green hat' });
    const [disclosure, carousel] = harness.graph.sendsTo(customer);
    assert.equal(disclosure!.message.text, DISCLOSURE);
    assert.equal(carouselOf(carousel)[0]!.title, '#1 Green hat');
  });

  it('answers a text in Russian in Russian', async () => {
    const customer = newCustomer();
    await harness.send({ sender: customer, text: 'платье в горошек' });
    const [first] = harness.graph.sendsTo(customer);
    assert.match(first!.message.text ?? '', /^Я ShopLens, автоматический помощник этого магазина/);
  });

  it('answers the "More like this" postback with products like that one, without it', async () => {
    const customer = newCustomer();
    const url = harness.images.host('red-again.jpg', await customerPhoto(['#ff0000']));
    await harness.send({ sender: customer, imageUrl: url });
    const first = carouselOf(harness.graph.sendsTo(customer)[1]);
    const moreLike = first[0]!.buttons!.find((button) => button.type === 'postback')!;
    assert.match(moreLike.payload ?? '', /^like:\d+$/);
    await harness.send({ sender: customer, postback: moreLike.payload! });
    const sends = harness.graph.sendsTo(customer);
    const similar = carouselOf(sends[sends.length - 2]);
    assert.ok(similar.length > 0);
    assert.ok(similar.every((element) => !element.title.endsWith('Red dress')), JSON.stringify(similar.map((element) => element.title)));
  });

  it('answers the "Show more" quick reply with the next page, numbered on', async () => {
    const customer = newCustomer();
    const url = harness.images.host('red-more.jpg', await customerPhoto(['#ff0000']));
    await harness.send({ sender: customer, imageUrl: url });
    const showMore = harness.graph.sendsTo(customer)[2]!.message.quick_replies![0]!;
    await harness.send({ sender: customer, text: showMore.title, quickReply: showMore.payload });
    const sends = harness.graph.sendsTo(customer);
    const next = carouselOf(sends[3]);
    assert.equal(next[0]!.title.startsWith('#4 '), true, JSON.stringify(next.map((element) => element.title)));
  });

  it('answers a message delivered twice once, also after a restart', async () => {
    const customer = newCustomer();
    const item = { sender: customer, text: 'blue jeans', mid: `mid-twice-${customer}` };
    const body = delivery(item);
    const [first, second] = await Promise.all([harness.deliver(body), harness.deliver(body)]);
    assert.deepEqual([first.status, second.status], [200, 200]);
    await harness.instagram.channel.drain();
    const answered = harness.graph.sendsTo(customer).length;
    assert.ok(answered > 0);
    assert.equal(harness.instagram.health().duplicates, 1);

    await harness.restart();
    await harness.send(item);
    assert.equal(harness.graph.sendsTo(customer).length, answered);
  });

  it('retries a 429 and a 500 and delivers each message once', async () => {
    const customer = newCustomer();
    harness.graph.failNext({ status: 429, headers: { 'retry-after': '0' }, recipientId: customer, error: { message: 'Too many', code: 4 } });
    harness.graph.failNext({ status: 500, recipientId: customer });
    const attemptsBefore = harness.graph.attempts;
    await harness.send({ sender: customer, text: 'yellow blouse' });
    const sends = harness.graph.sendsTo(customer);
    assert.equal(sends.length, 3);
    assert.equal(new Set(sends.map((send) => JSON.stringify(send.message))).size, 3);
    assert.equal(harness.graph.attempts - attemptsBefore, 5);
  });

  it("retries Graph's own throttling error after Meta's hint", async () => {
    const customer = newCustomer();
    harness.graph.failNext({
      status: 400,
      recipientId: customer,
      error: { message: 'Calls to this api have exceeded the rate limit.', code: 613 },
      headers: { 'x-business-use-case-usage': JSON.stringify({ 1: [{ type: 'messenger', estimated_time_to_regain_access: 0 }] }) },
    });
    await harness.send({ sender: customer, text: 'sunset bag' });
    assert.equal(harness.graph.sendsTo(customer).length, 3);
  });

  it('does not keep other customers waiting while one is being retried', async () => {
    const slow = newCustomer();
    const fast = newCustomer();
    harness.graph.failNext({ status: 429, headers: { 'retry-after': '2' }, recipientId: slow });
    const slowDelivery = harness.deliver(delivery({ sender: slow, text: 'green hat' }));
    await slowDelivery;
    await harness.deliver(delivery({ sender: fast, text: 'green hat' }));
    await harness.instagram.channel.drain();
    const slowFirst = harness.graph.sendsTo(slow)[0]!;
    const fastLast = harness.graph.sendsTo(fast).at(-1)!;
    assert.ok(fastLast.at < slowFirst.at, 'the second customer was answered while the first waited for Retry-After');
  });

  it('answers a photo over IMAGE_MAX_BYTES with a friendly text, without downloading all of it', async () => {
    const customer = newCustomer();
    const big = randomBytes(600_000);
    const declared = harness.images.host('big.jpg', big);
    await harness.send({ sender: customer, imageUrl: declared });
    assert.match(harness.graph.sendsTo(customer)[0]!.message.text ?? '', /That file is too big for me \(0\.6 MB\)\. Please send a photo under 0\.2 MB/);

    const chunked = harness.images.host('big-chunked.jpg', big, 'image/jpeg', { chunked: true });
    await harness.send({ sender: customer, imageUrl: chunked });
    // Without Content-Length the download stops just past the limit: the size it reports is what it read.
    assert.match(harness.graph.sendsTo(customer).at(-1)!.message.text ?? '', /That file is too big for me \(0\.2 MB\)/);
  });

  it('answers an attachment that is not an image with a friendly text', async () => {
    const customer = newCustomer();
    const page = harness.images.host('page.html', Buffer.from('<html>expired</html>'), 'text/html');
    await harness.send({ sender: customer, imageUrl: page });
    assert.match(harness.graph.sendsTo(customer)[0]!.message.text ?? '', /couldn't read that picture/);
    await harness.send({ sender: customer, attachmentType: 'video' });
    assert.match(harness.graph.sendsTo(customer).at(-1)!.message.text ?? '', /I can search by photos or product names/);
    const garbage = harness.images.host('garbage.jpg', Buffer.from('not really a jpeg'));
    await harness.send({ sender: customer, imageUrl: garbage });
    assert.match(harness.graph.sendsTo(customer).at(-1)!.message.text ?? '', /couldn't read that picture/);
  });

  it('ignores echoes of its own messages', async () => {
    const customer = newCustomer();
    await harness.send({ sender: customer, text: 'red dress', isEcho: true });
    assert.equal(harness.graph.sendsTo(customer).length, 0);
  });

  it('sends nothing outside the 24-hour window and counts it', async () => {
    const customer = newCustomer();
    const before = harness.instagram.health().outsideWindow;
    await harness.send({ sender: customer, text: 'red dress', timestamp: Date.now() - 25 * 60 * 60 * 1000 });
    assert.equal(harness.graph.sendsTo(customer).length, 0);
    assert.equal(harness.instagram.health().outsideWindow, before + 1);
  });

  it('shows a rejected token as the last error on the health object', async () => {
    const customer = newCustomer();
    harness.graph.failNext({ status: 400, recipientId: customer, error: { message: 'Error validating access token', type: 'OAuthException', code: 190 } });
    await harness.send({ sender: customer, text: 'red dress' });
    const health = harness.instagram.health();
    assert.match(health.lastError?.message ?? '', /rejected the access token.*INSTAGRAM_ACCESS_TOKEN/);
    assert.ok(health.failed >= 1);
    // Nothing after the failed message: the customer does not get a carousel without its introduction.
    assert.equal(harness.graph.sendsTo(customer).length, 0);
  });

  it('counts Instagram searches under their own channel in the search log', async () => {
    await harness.assistant.search.settled();
    const { rows } = await harness.db.query<{ channel: string; users: number }>('SELECT channel, count(DISTINCT user_ref)::int AS users FROM search_log GROUP BY channel');
    assert.deepEqual(rows.map((row) => row.channel), ['instagram']);
    assert.ok(rows[0]!.users >= 5);
  });
});
