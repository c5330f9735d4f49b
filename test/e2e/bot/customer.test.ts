/**
 * Customer flows end to end: the real bot, long polling a fake Bot API on loopback, answering from
 * an embedded database through the colour-histogram model.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bandsPng, customerPhoto } from '../../helpers/colour-model.ts';
import { seedCatalog, startBotHarness, type BotHarness } from '../../helpers/bot-fixtures.ts';
import { buttonsOf, captionsOf } from '../../helpers/fake-telegram/index.ts';

let harness: BotHarness;
let nextUser = 5000;
const customer = (languageCode?: string) => harness.chat({ id: nextUser++, ...(languageCode ? { language_code: languageCode } : {}) });

before(async () => {
  harness = await startBotHarness();
  await seedCatalog(harness.assistant);
});
after(() => harness.close());

describe('customer photo search', () => {
  test('a photo is answered with a media group, the right product first, then the buttons', async () => {
    const chat = customer();
    chat.sendPhoto(await customerPhoto(['#ff0000']), { thumbnail: await bandsPng(['#808080']) });
    const answer = await chat.answer();
    assert.ok(answer.mediaGroup, 'answers with a media group');
    const captions = captionsOf(answer.mediaGroup);
    assert.equal(captions.length, 5, 'top 5 by default');
    assert.match(captions[0]!, /^#1 Red dress/);
    assert.match(captions[0]!, /€49\.90/);
    assert.match(captions[0]!, /3 in stock/);
    assert.match(captions[0]!, /https:\/\/shop\.example\/red-dress/);
    const buttons = buttonsOf(answer.message);
    assert.deepEqual(buttons.filter((b) => b.data.startsWith('like:')).map((b) => b.text), ['More like #1', 'More like #2', 'More like #3', 'More like #4', 'More like #5']);
    assert.ok(buttons.some((b) => b.text.startsWith('Show more')));
  });

  test('an image sent as a file is searched like a photo', async () => {
    const chat = customer();
    chat.sendDocument(await bandsPng(['#0000ff']), 'image/png');
    const answer = await chat.answer();
    assert.match(captionsOf(answer.mediaGroup!)[0]!, /Blue jeans/);
  });

  test('an album gets one answer', async () => {
    const chat = customer();
    const photo = await customerPhoto(['#00ff00']);
    chat.sendPhoto(photo, { mediaGroupId: 'album-1' });
    chat.sendPhoto(photo, { mediaGroupId: 'album-1' });
    chat.sendPhoto(photo, { mediaGroupId: 'album-1' });
    const answer = await chat.answer();
    assert.match(captionsOf(answer.mediaGroup!)[0]!, /Green hat/);
    chat.sendText('/help');
    const help = await chat.answer();
    const mediaGroups = harness.telegram.calls.filter((call) => call.method === 'sendMediaGroup' && Number(call.params.chat_id) === chat.user.id);
    assert.equal(mediaGroups.length, 1, 'one media group for three pictures');
    assert.match(help.text, /How to search/);
  });

  test('"More like #n" searches from that product\'s image, without the product itself', async () => {
    const chat = customer();
    chat.sendPhoto(await customerPhoto(['#ffff00']));
    const first = await chat.answer();
    assert.match(captionsOf(first.mediaGroup!)[0]!, /Yellow blouse/);
    const likeFirst = buttonsOf(first.message).find((b) => b.text === 'More like #1')!;
    chat.press(likeFirst.data, first.message);
    const similar = await chat.answer();
    const captions = captionsOf(similar.mediaGroup!);
    assert.ok(captions.every((caption) => !caption.includes('Yellow blouse')));
    assert.match(captions[0]!, /Sunset bag/, 'the product sharing yellow comes first');
  });

  test('"Show more" sends the next page and retires its button', async () => {
    const chat = customer();
    chat.sendPhoto(await customerPhoto(['#ff0000']));
    const first = await chat.answer();
    const more = buttonsOf(first.message).find((b) => b.data.startsWith('more:'))!;
    chat.press(more.data, first.message);
    const edit = await chat.next((call) => call.method === 'editMessageText');
    assert.ok(buttonsOf(edit).every((b) => !b.data.startsWith('more:')), 'the pressed Show more is removed');
    const second = await chat.answer();
    const captions = second.mediaGroup ? captionsOf(second.mediaGroup) : [];
    const firstNames = captionsOf(first.mediaGroup!).map((caption) => caption.split('\n')[0]!.replace(/^#\d+ /, ''));
    assert.ok(captions.length >= 1);
    assert.match(captions[0]!, /^#6 /, 'numbering continues');
    assert.ok(captions.every((caption) => !firstNames.includes(caption.split('\n')[0]!.replace(/^#\d+ /, ''))), 'no repeats');
  });

  test('product photos are uploaded once, then re-sent by stored file_id', async () => {
    const chat = customer();
    chat.sendPhoto(await customerPhoto(['#ff0000']));
    const answer = await chat.answer();
    const group = answer.mediaGroup!;
    const media = group.params.media as { media: string }[];
    assert.equal(group.files.size, 0, 'no uploads the second time this product set is shown');
    assert.ok(media.every((item) => item.media.startsWith('FILE-')), 'every item is a stored file_id');
    const firstEver = harness.telegram.calls.find((call) => call.method === 'sendMediaGroup')!;
    assert.ok(firstEver.files.size > 0, 'the first answer uploaded the photos');
  });

  test('no good match: a kind reply suggesting a clearer photo', async () => {
    const chat = customer();
    chat.sendPhoto(await customerPhoto(['#808080']));
    const answer = await chat.answer();
    assert.equal(answer.mediaGroup, undefined);
    assert.match(answer.text, /couldn't find anything/);
    assert.match(answer.text, /clearer/);
  });
});

describe('customer text search', () => {
  test('name search tolerates a typo and answers the same way', async () => {
    const chat = customer();
    chat.sendText('yelow blouse');
    const answer = await chat.answer();
    const photo = answer.calls.find((call) => call.method === 'sendPhoto' || call.method === 'sendMediaGroup');
    assert.ok(photo, 'sends the product photo');
    const caption = photo.method === 'sendPhoto' ? String(photo.params.caption) : captionsOf(photo)[0]!;
    assert.match(caption, /Yellow blouse/);
  });

  test('category search is case-insensitive', async () => {
    const chat = customer();
    chat.sendText('HATS');
    const answer = await chat.answer();
    const names = captionsOf(answer.mediaGroup!).join(' ');
    assert.match(names, /Green hat/);
    assert.match(names, /Striped cap/);
  });

  test('unknown text points to sending a photo', async () => {
    const chat = customer();
    chat.sendText('submarine');
    const answer = await chat.answer();
    assert.match(answer.text, /Send me a photo/);
  });
});

describe('other messages and languages', () => {
  test('a sticker gets a short friendly reply', async () => {
    const chat = customer();
    chat.sendSticker();
    const answer = await chat.answer();
    assert.match(answer.text, /photos or product names/);
  });

  test('Russian texts for language_code=ru', async () => {
    const chat = customer('ru');
    chat.sendText('/start');
    assert.match((await chat.answer()).text, /Здравствуйте/);
    chat.sendPhoto(await customerPhoto(['#ff0000']));
    const answer = await chat.answer();
    assert.match(captionsOf(answer.mediaGroup!)[0]!, /^№1 Red dress\n49,90\s€ · в наличии: 3/);
    assert.ok(buttonsOf(answer.message).some((b) => b.text === 'Похожие на №1'));
    chat.sendPhoto(await customerPhoto(['#808080']));
    assert.match((await chat.answer()).text, /Не нашёл ничего/);
  });

  test('English is the fallback for other languages', async () => {
    const chat = customer('de');
    chat.sendText('/start');
    assert.match((await chat.answer()).text, /^Hi!/);
  });
});
