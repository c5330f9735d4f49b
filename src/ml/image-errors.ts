/**
 * The one error type for "this picture cannot be embedded". Callers (bot, importer) show
 * `message` to people as-is, so it is a single line that starts with the file or upload label.
 */

/** Why an image was refused. Stable strings: safe to log, count and switch on. */
export type ImageRejectionReason =
  | 'empty'
  | 'too-many-bytes'
  | 'too-many-pixels'
  | 'not-an-image'
  | 'unreadable'
  | 'truncated'
  | 'unsupported-format';

/** The formats the decoder is built to accept, as they are named to users. */
export const SUPPORTED_IMAGE_FORMATS = 'JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF';

/** Facts that make a rejection message concrete; each reason reads only the ones it needs. */
export interface ImageRejectionDetails {
  /** Size of the input in bytes. */
  bytes?: number;
  /** Byte limit that was exceeded. */
  maxBytes?: number;
  /** Decoded width and height in pixels. */
  width?: number;
  height?: number;
  /** Pixel-count limit (width × height) that was exceeded. */
  maxPixels?: number;
  /** Detected container format, e.g. `svg` or `pdf`, when it is known but refused. */
  format?: string;
  /** Low-level cause (OS error text, decoder message) appended for `unreadable`. */
  cause?: string;
}

/**
 * An image that was refused before or during decoding.
 * `message` is `<source>: <human reason>`, e.g. `photos/a.jpg: file is empty (0 bytes)`.
 */
export class ImageRejectedError extends Error {
  /**
   * @param source file path or upload label the message starts with.
   * @param reason machine-readable category.
   * @param details numbers and causes used to word the message.
   * @param cause the underlying decoder or file-system error, kept for logs.
   */
  constructor(
    readonly source: string,
    readonly reason: ImageRejectionReason,
    details: ImageRejectionDetails = {},
    cause?: unknown,
  ) {
    super(`${source}: ${describeRejection(reason, details)}`, cause === undefined ? undefined : { cause });
    this.name = 'ImageRejectedError';
  }
}

/** Formats a byte count the way people read file sizes: `20.0 MB`, `512 KB`, `17 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
}

/** Formats a pixel count in megapixels with one decimal: 144000000 → `144.0 MP`. */
export function formatMegapixels(pixels: number): string {
  return `${(pixels / 1_000_000).toFixed(1)} MP`;
}

function describeRejection(reason: ImageRejectionReason, details: ImageRejectionDetails): string {
  switch (reason) {
    case 'empty':
      return 'file is empty (0 bytes)';
    case 'too-many-bytes':
      return `file is ${formatBytes(details.bytes ?? 0)}, over the ${formatBytes(details.maxBytes ?? 0)} limit`;
    case 'too-many-pixels':
      return describePixelExcess(details);
    case 'not-an-image':
      return `not an image (expected ${SUPPORTED_IMAGE_FORMATS})`;
    case 'unsupported-format':
      return `${details.format ?? 'this'} images are not supported (expected ${SUPPORTED_IMAGE_FORMATS})`;
    case 'truncated':
      return 'image data is truncated or corrupt';
    case 'unreadable':
      return details.cause === undefined ? 'cannot read the file' : `cannot read the file (${details.cause})`;
  }
}

function describePixelExcess({ width, height, maxPixels }: ImageRejectionDetails): string {
  const limit = maxPixels === undefined ? 'the pixel limit' : `the ${formatMegapixels(maxPixels)} limit`;
  // sharp's own pixel-limit error does not say how big the image was, so dimensions can be absent.
  if (width === undefined || height === undefined) return `image is larger than ${limit}`;
  return `image is ${width}×${height} = ${formatMegapixels(width * height)}, over ${limit}`;
}
