/**
 * Our own copies of catalog images under `DATA_DIR/images`, content-addressed by SHA-256, so
 * the catalog keeps working when the owner's import folder moves and every channel can send
 * the picture. Copies are normalised to JPEG (EXIF-rotated, at most 1600 px) because Telegram
 * rejects large or exotic formats.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

const MAX_SIDE_PX = 1600;

export class ImageStore {
  constructor(private readonly dataDir: string) {}

  /** Absolute path of a stored copy given its path relative to `DATA_DIR`. */
  resolve(relativePath: string): string {
    return path.resolve(this.dataDir, relativePath);
  }

  /**
   * Stores a display copy of `data` (bytes or a file path) and returns its path relative to `DATA_DIR`. Idempotent:
   * the same bytes map to the same file, and an existing copy is kept.
   */
  async save(data: Buffer | string, sha256: string): Promise<string> {
    const relative = path.join('images', sha256.slice(0, 2), `${sha256}.jpg`);
    const target = this.resolve(relative);
    if (await exists(target)) return relative;
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
    await sharp(data, { failOn: 'none' })
      .rotate()
      .flatten({ background: '#ffffff' })
      .resize(MAX_SIDE_PX, MAX_SIDE_PX, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 88, mozjpeg: true })
      .toFile(temporary);
    await rename(temporary, target);
    return relative;
  }

  /** Deletes a stored copy no image uses any more; a missing file is not an error. */
  async remove(relativePath: string): Promise<void> {
    await rm(this.resolve(relativePath), { force: true });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
