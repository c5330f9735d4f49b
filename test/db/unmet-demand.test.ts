/**
 * Unmet demand: unmatched customer photos become small, metadata-free thumbnails, counted per
 * day, deleted after the retention period; a broken picture is logged, never thrown.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import sharp from 'sharp';
import { loadConfig } from '../../src/config/index.ts';
import { Assistant } from '../../src/core/assistant.ts';
import type { Logger } from '../../src/core/logger.ts';
import { THUMBNAIL_MAX_SIDE_PX, UnmetDemandService } from '../../src/core/unmet-demand/unmet-demand-service.ts';
import type { Database } from '../../src/db/database.ts';
import { openBotTestDatabase, seedCatalog } from '../helpers/bot-fixtures.ts';
import { ColourHistogramModel, customerPhoto } from '../helpers/colour-model.ts';
import { testEngines } from '../helpers/databases.ts';

const DAY_MS = 86_400_000;

function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger = { warn: (_fields: unknown, message: string) => warnings.push(message), info: () => undefined } as unknown as Logger;
  return { logger, warnings };
}

/** A 1200×800 JPEG carrying EXIF metadata (a camera photo). */
async function cameraPhoto(): Promise<Buffer> {
  return sharp({ create: { width: 1200, height: 800, channels: 3, background: '#c03060' } })
    .jpeg()
    .withExif({ IFD0: { Make: 'PhoneMaker', Model: 'Camera 1' } })
    .toBuffer();
}

for (const engine of testEngines()) {
  describe(`unmet demand on ${engine.name}`, { skip: engine.skip }, () => {
    let db: Database;
    before(async () => {
      db = await engine.open();
    });
    after(async () => db?.close());

    it('keeps only a small thumbnail without metadata, newest first, counted per day', async () => {
      const { logger, warnings } = recordingLogger();
      const service = new UnmetDemandService({ db, logger, retentionDays: 30, maxPixels: 50_000_000 });
      void service.record('web', await cameraPhoto());
      void service.record('telegram', await cameraPhoto());
      await service.settled();
      const photos = await service.recent(10);
      assert.deepEqual(photos.map((photo) => photo.channel), ['telegram', 'web']);
      const first = photos[0]!;
      assert.ok(first.thumbnail.length < 20_000, `thumbnail is ${first.thumbnail.length} bytes`);
      assert.equal(first.width, THUMBNAIL_MAX_SIDE_PX);
      const meta = await sharp(first.thumbnail).metadata();
      assert.equal(meta.format, 'jpeg');
      assert.equal(meta.width, THUMBNAIL_MAX_SIDE_PX);
      assert.equal(meta.exif, undefined);
      const days = await service.perDay(7);
      assert.equal(days.length, 7);
      assert.equal(days.at(-1)!.photos, 2);
      assert.equal(days.slice(0, -1).reduce((sum, day) => sum + day.photos, 0), 0);
      assert.deepEqual((await service.recent(10, first.id)).map((photo) => photo.id), [photos[1]!.id]);
      assert.deepEqual(warnings, []);
    });

    it('deletes thumbnails once they are older than the retention period', async () => {
      const { logger } = recordingLogger();
      const service = new UnmetDemandService({ db, logger, retentionDays: 30, maxPixels: 50_000_000 });
      const before = (await service.recent(100)).length;
      assert.ok(before > 0);
      assert.equal(await service.purgeExpired(new Date(Date.now() + 29 * DAY_MS)), 0);
      assert.equal(await service.purgeExpired(new Date(Date.now() + 31 * DAY_MS)), before);
      assert.deepEqual(await service.recent(100), []);
    });

    it('rejects a picture it cannot read without storing anything, and records nothing with retention 0', async () => {
      const { logger } = recordingLogger();
      const service = new UnmetDemandService({ db, logger, retentionDays: 30, maxPixels: 50_000_000 });
      await assert.rejects(service.record('web', Buffer.from('definitely not an image')));
      await service.settled();
      const off = new UnmetDemandService({ db, logger, retentionDays: 0, maxPixels: 50_000_000 });
      await off.record('web', await cameraPhoto());
      assert.deepEqual(await service.recent(10), []);
    });
  });
}

describe('unmet demand through the conversation core', () => {
  it('records a thumbnail when any channel’s photo search ends in no match, and none for a match', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-unmet-'));
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, process.cwd());
    const model = new ColourHistogramModel();
    const assistant = await Assistant.create({ config, logger: pino({ level: 'silent' }), loadModel: () => Promise.resolve(model), db: await openBotTestDatabase() });
    try {
      await seedCatalog(assistant);
      const telegram = { channel: 'telegram', userRef: '42', lang: 'en' } as const;
      const matched = await assistant.conversation.searchByPhoto(telegram, await customerPhoto(['#ff0000']));
      assert.equal(matched.kind, 'results');
      const missed = await assistant.conversation.searchByPhoto({ ...telegram, channel: 'instagram' }, await customerPhoto(['#00ffff']));
      assert.equal(missed.kind, 'no-match');
      await assistant.unmetDemand.settled();
      assert.deepEqual((await assistant.unmetDemand.recent(10)).map((photo) => photo.channel), ['instagram']);
    } finally {
      await assistant.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
