/**
 * Product photos in an answer: stored ones re-sent by file_id, the others uploaded with their bytes
 * read from the image store before the call, and a photo missing from the store stopping the
 * answer before anything reaches the customer.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InputFile } from 'grammy';
import { MediaSender } from '../../../src/bot/services/media-sender.ts';
import type { BotContext } from '../../../src/bot/context.ts';
import { ImageStore } from '../../../src/core/catalog/image-store.ts';
import type { MediaIdCache } from '../../../src/core/catalog/media-id-cache.ts';

const BOT = 7;

/** File ids stored per image, and the writes made to them. */
function storedIds(initial: Record<number, string>) {
  const ids = new Map(Object.entries(initial).map(([id, fileId]) => [Number(id), fileId]));
  const saved: [number, string][][] = [];
  const cache = {
    fileIds: (_bot: number, imageIds: readonly number[]) => Promise.resolve(new Map(imageIds.flatMap((id) => (ids.has(id) ? [[id, ids.get(id)!] as const] : [])))),
    saveAll: (_bot: number, fileIds: ReadonlyMap<number, string>) => {
      saved.push([...fileIds]);
      return Promise.resolve();
    },
    forget: () => Promise.resolve(),
  };
  return { saved, cache: cache as unknown as MediaIdCache };
}

/** A chat that records each media group and answers with a new file_id per photo. */
function chat() {
  const groups: { media: string | InputFile; caption?: string }[][] = [];
  const ctx = {
    me: { id: BOT },
    replyWithMediaGroup: (media: { media: string | InputFile; caption?: string }[]) => {
      groups.push(media);
      return Promise.resolve(media.map((_, index) => ({ photo: [{ file_id: `NEW-${groups.length}-${index}` }] })));
    },
  };
  return { groups, ctx: ctx as unknown as BotContext };
}

const silent = { warn: () => undefined } as never;

describe('sending product photos', () => {
  let dataDir: string;
  let store: ImageStore;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-media-'));
    store = new ImageStore(dataDir);
    for (const name of ['a', 'b', 'c']) await writeFile(path.join(dataDir, `${name}.jpg`), `bytes of ${name}`);
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('re-sends stored photos by file_id and uploads the others with their stored bytes, in one call', async () => {
    const ids = storedIds({ 2: 'FILE-b' });
    const { groups, ctx } = chat();
    const sender = new MediaSender({ repository: ids.cache, store, logger: silent });
    await sender.send(ctx, [
      { image: { id: 1, filePath: 'a.jpg' }, caption: '#1' },
      { image: { id: 2, filePath: 'b.jpg' }, caption: '#2' },
      { image: { id: 3, filePath: 'c.jpg' }, caption: '#3' },
    ]);
    assert.equal(groups.length, 1);
    const [first, second, third] = groups[0]!;
    assert.equal(second!.media, 'FILE-b');
    for (const [item, name] of [[first, 'a'], [third, 'c']] as const) {
      assert.ok(item!.media instanceof InputFile);
      assert.equal(item!.media.filename, `${name}.jpg`);
      assert.equal(Buffer.from((await item!.media.toRaw()) as Uint8Array).toString(), `bytes of ${name}`);
    }
    assert.deepEqual(ids.saved, [[[1, 'NEW-1-0'], [3, 'NEW-1-2']]], 'only the uploads get their file_id stored');
  });

  it('sends nothing when a photo is missing from the store, and says which file', async () => {
    const ids = storedIds({});
    const { groups, ctx } = chat();
    const sender = new MediaSender({ repository: ids.cache, store, logger: silent });
    await assert.rejects(
      sender.send(ctx, [
        { image: { id: 1, filePath: 'a.jpg' }, caption: '#1' },
        { image: { id: 4, filePath: 'gone.jpg' }, caption: '#2' },
      ]),
      (error: NodeJS.ErrnoException) => error.code === 'ENOENT' && error.message.includes('gone.jpg'),
    );
    assert.equal(groups.length, 0);
    assert.deepEqual(ids.saved, []);
  });
});
