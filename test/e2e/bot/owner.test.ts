/**
 * Owner commands end to end: /add, /stock, /price, /remove, /stats and /train, and that customers
 * can neither use them nor change anything.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bandsPng, customerPhoto } from '../../helpers/colour-model.ts';
import { OWNER_IDS, seedCatalog, startBotHarness, TRAINABLE_CATALOG, type BotHarness } from '../../helpers/bot-fixtures.ts';

let harness: BotHarness;
let nextUser = 7000;
const customer = () => harness.chat({ id: nextUser++ });

before(async () => {
  harness = await startBotHarness();
  await seedCatalog(harness.assistant, []);
});
after(() => harness.close());

describe('owner catalog commands', () => {
  test('/add on a photo stores the product, and a customer finds it at once', async () => {
    const owner = harness.owner();
    owner.sendPhoto(await bandsPng(['#ff00ff']), { caption: '/add Purple coat | 120.50 | Coats | 2 | COAT-PURPLE' });
    const confirmation = await owner.answer();
    assert.match(confirmation.text, /Added Purple coat/);
    assert.match(confirmation.text, /SKU: COAT-PURPLE/);
    assert.match(confirmation.text, /Price: €120\.50/);
    assert.match(confirmation.text, /Category: Coats/);
    assert.match(confirmation.text, /Stock: 2/);

    const chat = customer();
    chat.sendPhoto(await customerPhoto(['#ff00ff']));
    const answer = await chat.answer();
    const photo = answer.calls.find((call) => call.method === 'sendPhoto')!;
    assert.match(String(photo.params.caption), /^#1 Purple coat/, 'a single hit is sent as one photo');
  });

  test('/add without a SKU derives one from the name; a currency code in the price is kept', async () => {
    const owner = harness.owner();
    owner.sendPhoto(await bandsPng(['#00ffff']), { caption: '/add Cyan Shorts | 15 USD | Shorts | 4' });
    const confirmation = await owner.answer();
    assert.match(confirmation.text, /SKU: Cyan-Shorts/);
    assert.match(confirmation.text, /Price: \$15\.00/);
  });

  test('/stock 0 hides the product from customers; /stock back brings it back', async () => {
    const owner = harness.owner(4);
    owner.sendText('/stock COAT-PURPLE 0');
    assert.match((await owner.answer()).text, /COAT-PURPLE: stock is now 0/);
    const chat = customer();
    chat.sendPhoto(await customerPhoto(['#ff00ff']));
    assert.match((await chat.answer()).text, /couldn't find anything/);
    owner.sendText('/stock COAT-PURPLE 5');
    assert.match((await owner.answer()).text, /stock is now 5/);
  });

  test('/price changes the price customers see', async () => {
    const owner = harness.owner();
    owner.sendText('/price COAT-PURPLE 99,90');
    assert.match((await owner.answer()).text, /COAT-PURPLE: price is now €99\.90/);
    const chat = customer();
    chat.sendText('purple coat');
    const answer = await chat.answer();
    const photo = answer.calls.find((call) => call.method === 'sendPhoto')!;
    assert.match(String(photo.params.caption), /€99\.90/);
  });

  test('/remove hides the product; unknown SKUs and bad values are explained', async () => {
    const owner = harness.owner(1);
    owner.sendText('/remove Cyan-Shorts');
    assert.match((await owner.answer()).text, /Cyan-Shorts is hidden from customers/);
    assert.equal((await harness.assistant.catalog.findProduct('Cyan-Shorts'))?.active, false);
    owner.sendText('/stock NOPE 3');
    assert.match((await owner.answer()).text, /No product with SKU NOPE/);
    owner.sendText('/stock COAT-PURPLE -2');
    assert.match((await owner.answer()).text, /Not changed: stock/);
    owner.sendText('/price COAT-PURPLE cheap');
    assert.match((await owner.answer()).text, /Not changed: price/);
    owner.sendText('/stock');
    assert.match((await owner.answer()).text, /Usage: \/stock <sku> <quantity>/);
  });

  test('malformed /add captions get the expected format back and store nothing', async () => {
    const owner = harness.owner(2);
    const before = (await harness.assistant.stats.collect()).catalog.products;
    for (const caption of ['/add Just a name', '/add Hat | free | Hats | 1', '/add Hat | 5 | Hats | lots', '/add Hat | 5 | | 1 | BAD SKU!']) {
      owner.sendPhoto(await bandsPng(['#123456']), { caption });
      const reply = await owner.answer();
      assert.match(reply.text, /Nothing was stored/, caption);
      assert.match(reply.text, /\/add Name \| price \| category \| stock \[\| sku\]/, caption);
    }
    owner.sendText('/add Hat | 5 | Hats | 1');
    assert.match((await owner.answer()).text, /send a photo with the caption/);
    assert.equal((await harness.assistant.stats.collect()).catalog.products, before);
  });

  test('a customer cannot use owner commands, and nothing changes', async () => {
    const chat = customer();
    const before = await harness.assistant.stats.collect();
    const coatBefore = await harness.assistant.catalog.findProduct('COAT-PURPLE');
    chat.sendPhoto(await bandsPng(['#0f0f0f']), { caption: '/add Stolen | 1 | Hats | 1 | STOLEN' });
    assert.match((await chat.answer()).text, /only for the shop owner/);
    for (const command of ['/stock COAT-PURPLE 0', '/price COAT-PURPLE 1', '/remove COAT-PURPLE', '/stats', '/train']) {
      chat.sendText(command);
      assert.match((await chat.answer()).text, /only for the shop owner/, command);
    }
    assert.equal(await harness.assistant.catalog.findProduct('STOLEN'), undefined);
    const product = await harness.assistant.catalog.findProduct('COAT-PURPLE');
    assert.deepEqual(product, coatBefore);
    assert.deepEqual((await harness.assistant.stats.collect()).catalog, before.catalog);
  });

  test('owner input is checked strictly and echoed within limits; Cyrillic names get a SKU', async () => {
    const owner = harness.owner(3);
    for (const command of ['/stock COAT-PURPLE 0x10', '/stock COAT-PURPLE 1e3', '/stock COAT-PURPLE 99999999999']) {
      owner.sendText(command);
      assert.match((await owner.answer()).text, /Not changed: stock must be/, command);
    }
    assert.notEqual((await harness.assistant.catalog.findProduct('COAT-PURPLE'))?.stock, 16);
    owner.sendPhoto(await bandsPng(['#654321']), { caption: '/add Красное\u200B платье\u202E | 10 | Платья | 1e3' });
    assert.match((await owner.answer()).text, /Nothing was stored: stock must be/);
    owner.sendPhoto(await bandsPng(['#654321']), { caption: '/add Красное\u200B платье\u202E | 1 990 | Платья | 2' });
    assert.match((await owner.answer()).text, /Nothing was stored: price must be/);
    owner.sendPhoto(await bandsPng(['#654321']), { caption: '/add Красное\u200B платье\u202E | 1990 | Платья | 2' });
    const added = (await owner.answer()).text;
    assert.match(added, /Added Красное платье\n/);
    assert.match(added, /SKU: Krasnoe-plate/);
    assert.equal((await harness.assistant.catalog.findProduct('Krasnoe-plate'))?.name, 'Красное платье', 'invisible characters are not stored');
    owner.sendText(`/remove ${'X'.repeat(4090)}`);
    const reply = (await owner.answer()).text;
    assert.ok(reply.length < 200, 'the unknown SKU is echoed shortened');
    assert.match(reply, /No product with SKU X+…/);
  });

  test('commands addressed to another bot are ignored', async () => {
    const owner = harness.owner(3);
    const before = (await harness.assistant.stats.collect()).catalog.products;
    owner.sendPhoto(await bandsPng(['#abcdef']), { caption: '/add Other | 1 | Hats | 1 | OTHER-BOT' });
    assert.match((await owner.answer()).text, /Added Other/);
    owner.sendPhoto(await bandsPng(['#abcdef']), { caption: '/add@someone_else_bot Other | 1 | Hats | 1 | OTHER-BOT-2' });
    owner.sendText('/stock@someone_else_bot COAT-PURPLE 1');
    owner.sendText('/help');
    const answer = await owner.answer();
    assert.match(answer.text, /How to search/, 'the first reply after the foreign commands is /help\'s');
    assert.equal(answer.calls.filter((call) => call.method === 'sendMessage').length, 1);
    assert.equal(await harness.assistant.catalog.findProduct('OTHER-BOT-2'), undefined);
    assert.equal((await harness.assistant.stats.collect()).catalog.products, before + 1);
  });
});

describe('/stats and /train', () => {
  let fresh: BotHarness;
  before(async () => {
    fresh = await startBotHarness();
    await seedCatalog(fresh.assistant);
  });
  after(() => fresh.close());

  test('the numbers match what happened, and a chart follows', async () => {
    const owner = fresh.owner();
    await fresh.assistant.catalog.setStock('GREEN-HAT', 0);
    await fresh.assistant.catalog.remove('BLUE-JEANS');
    const chat = fresh.chat({ id: 9001 });
    chat.sendPhoto(await customerPhoto(['#ff0000']));
    await chat.answer();
    chat.sendPhoto(await customerPhoto(['#ffff00']));
    await chat.answer();
    chat.sendPhoto(await customerPhoto(['#808080']));
    await chat.answer();
    chat.sendText('scarf');
    await chat.answer();

    owner.sendText('/stats');
    const text = (await owner.answer()).text;
    assert.match(text, /Products: 8 \(7 active, 6 in stock\)/);
    assert.match(text, /Images: 8/);
    assert.match(text, /Searches: 4 in 24 h, 4 in 7 days \(4 total\)/);
    assert.match(text, /No match: 1 of 4 \(25\.0%\)/);
    assert.match(text, /Photo → answer: median \d+ ms, p95 \d+ ms/);
    assert.match(text, /Top categories \(7 days\): (Dresses \(1\), Scarves \(1\), Shirts \(1\)|.*Dresses \(1\).*)/);
    assert.match(text, /Model: test-colour-histogram@1 \(generated weights, not pretrained\)/);
    const chart = await owner.next((call) => call.method === 'sendPhoto');
    const png = [...chart.files.values()][0]!;
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.match(String(chart.params.caption), /Searches per day/);
  });

});

describe('/train', () => {
  let trainable: BotHarness;
  before(async () => {
    trainable = await startBotHarness();
    await seedCatalog(trainable.assistant, TRAINABLE_CATALOG);
  });
  after(() => trainable.close());

  test('/train runs in the background: the chat keeps answering, a second /train is refused, then the verdict and charts', async () => {
    const owner = trainable.owner(1);
    owner.sendText('/train');
    assert.match((await owner.answer()).text, /Training started/);
    owner.sendText('/train');
    assert.match((await owner.answer()).text, /Training is already running/);
    owner.sendText('/help');
    const help = await owner.answer();
    assert.match(help.text, /How to search/);
    const done = await owner.next((call) => call.method === 'editMessageText' && !/Training…/.test(String(call.params.text)), 60_000);
    assert.ok(help.message.index < done.index, '/help was answered while the training ran');
    assert.match(String(done.params.text), /Training finished: best head on \d+ categories: validation accuracy \d+\.\d% — (promoted|kept)/);
    const album = await owner.next((call) => call.method === 'sendMediaGroup');
    const pngs = [...album.files.values()];
    assert.equal(pngs.length, 2, 'curves and confusion matrix');
    assert.ok(pngs.every((png) => png.subarray(1, 4).toString() === 'PNG'));
    owner.sendText('/stats');
    const stats = (await owner.answer()).text;
    assert.match(stats, /Category head: best, validation accuracy/);
    assert.match(stats, /Last training \(chat, \d{4}-\d\d-\d\d \d\d:\d\d\): finished/);
  });
});

test('owner ids come from ADMIN_IDS', () => {
  assert.deepEqual(harness.config.telegram.adminIds, [...OWNER_IDS]);
});

