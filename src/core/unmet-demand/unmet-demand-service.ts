/**
 * Unmet demand: what customers photographed that the shop does not have. When a photo search
 * from any channel ends in "no match", the conversation core hands the bytes here; a small
 * thumbnail (never the original, never who sent it) is stored for the owner's gallery and deleted
 * after the retention period. The core does not wait for it, so the answer is never slower.
 */
import sharp from 'sharp';
import type { Database } from '../../db/database.ts';
import { UnmetDemandRepository, type UnmetDemandDay, type UnmetDemandEntry } from '../../db/repositories/unmet-demand.ts';
import { BackgroundWrites } from '../background-writes.ts';
import type { Logger } from '../logger.ts';

/** Longer side of a stored thumbnail, in pixels. */
export const THUMBNAIL_MAX_SIDE_PX = 160;
const DAY_MS = 86_400_000;

/** A thumbnail as the owner's gallery shows it: JPEG bytes, at most {@link THUMBNAIL_MAX_SIDE_PX} px on the longer side. */
export type UnmetDemandPhoto = UnmetDemandEntry;

export interface UnmetDemandDependencies {
  readonly db: Database;
  readonly logger: Logger;
  /** Days a thumbnail is kept; 0 keeps none (recording is off). */
  readonly retentionDays: number;
  /** Decoding limit, in pixels (width × height), against decompression bombs. */
  readonly maxPixels: number;
}

export class UnmetDemandService {
  private readonly repository: UnmetDemandRepository;
  private readonly writes = new BackgroundWrites();

  constructor(private readonly deps: UnmetDemandDependencies) {
    this.repository = new UnmetDemandRepository(deps.db);
  }

  /**
   * Stores a thumbnail of a customer photo that found no match. The conversation core calls this
   * without awaiting it (the customer's answer never waits for a thumbnail) and logs a rejection.
   * @param channel `telegram`, `web`, `instagram`, …; never who sent the photo.
   * @throws whatever sharp or the database threw (an unreadable picture, an outage).
   */
  record(channel: string, picture: Buffer): Promise<void> {
    if (this.deps.retentionDays === 0) return Promise.resolve();
    return this.writes.track(this.store(channel, picture));
  }

  /** Resolves when every recording started so far has finished (shutdown, tests). */
  settled(): Promise<void> {
    return this.writes.settled();
  }

  /** Newest first; `beforeId` continues from the last id of a previous page. */
  async recent(limit: number, beforeId?: number): Promise<UnmetDemandPhoto[]> {
    return this.repository.recent(limit, beforeId);
  }

  /** Unmatched photos per UTC day, the last `days` days, oldest first, zero-filled. */
  async perDay(days: number, now = new Date()): Promise<UnmetDemandDay[]> {
    return this.repository.perDay(days, now);
  }

  /** Deletes thumbnails older than the retention period; returns how many. */
  async purgeExpired(now = new Date()): Promise<number> {
    return this.repository.deleteOlderThan(new Date(now.getTime() - this.deps.retentionDays * DAY_MS));
  }

  /**
   * Purges now and then every `intervalMs` (default hourly) until the returned stop function is
   * called, so thumbnails go on time even when nobody searches.
   */
  startRetention(intervalMs = 3_600_000): () => void {
    const purge = () => {
      void this.purgeExpired()
        .then((deleted) => {
          if (deleted > 0) this.deps.logger.info({ deleted }, 'deleted unmatched-photo thumbnails past their retention');
        })
        .catch((error: unknown) => this.deps.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'unmet-demand purge failed'));
    };
    purge();
    const timer = setInterval(purge, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async store(channel: string, picture: Buffer): Promise<void> {
    const { data, info } = await sharp(picture, { limitInputPixels: this.deps.maxPixels, failOn: 'none' })
      .rotate()
      .flatten({ background: '#ffffff' })
      .resize(THUMBNAIL_MAX_SIDE_PX, THUMBNAIL_MAX_SIDE_PX, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 70 })
      .toBuffer({ resolveWithObject: true });
    await this.repository.add({ channel, thumbnail: data, width: info.width, height: info.height });
  }
}
