/**
 * Turns a planned list of products (from a folder or a CSV) into stored products: hashes each
 * image to skip ones already imported, embeds the rest in one pipelined stream, and writes each
 * product in its own transaction as soon as its last image is embedded. So an import that is
 * stopped (Ctrl-C, shutdown, `signal`) or killed keeps every product finished so far, whole, and
 * running it again picks up where it stopped (stored images are recognised by their hash).
 */
import { readFile } from 'node:fs/promises';
import type { ProductInput } from '../../domain/catalog.ts';
import type { EmbeddingModel, ImageEmbedding } from '../ports.ts';
import type { CatalogService, EmbeddedImage } from './catalog-service.ts';
import { sha256Of } from './catalog-service.ts';
import type { ImportProgress, ImportReport } from './import-report.ts';

export interface PlannedImage {
  /** Path shown in messages (relative to the import root where possible). */
  readonly label: string;
  readonly path: string;
}

export interface PlannedProduct {
  /** Where this product came from, for messages: a file or `catalog.csv row 7 (sku A1)`. */
  readonly where: string;
  readonly input: ProductInput;
  readonly images: readonly PlannedImage[];
}

interface PendingProduct {
  readonly plan: PlannedProduct;
  readonly newImages: PlannedImage[];
  readonly knownImages: number;
  readonly hashes: Map<string, string>;
}

export async function executePlan(
  plans: readonly PlannedProduct[],
  deps: { catalog: CatalogService; model: EmbeddingModel; report: ImportReport; onProgress?: ImportProgress; signal?: AbortSignal },
): Promise<void> {
  const pending: PendingProduct[] = [];
  let planned = 0;
  for (const plan of plans) {
    if (deps.signal?.aborted) break;
    const prepared = await prepare(plan, deps);
    if (prepared) pending.push(prepared);
    planned += 1;
  }
  const embeddings: EmbeddingResults = new Map();
  let saved = 0;
  const saveFinished = async () => {
    while (saved < pending.length && !deps.signal?.aborted && pending[saved]!.newImages.every((image) => embeddings.has(image.path))) {
      await save(pending[saved]!, embeddings, deps);
      saved += 1;
    }
  };
  if (!deps.signal?.aborted) {
    await saveFinished();
    await embedAll(pending, embeddings, saveFinished, deps);
  }
  deps.report.interrupted = planned < plans.length || saved < pending.length;
}

/** Hashes the product's images; unchanged re-imports are counted here without embedding. */
async function prepare(
  plan: PlannedProduct,
  deps: { catalog: CatalogService; report: ImportReport },
): Promise<PendingProduct | undefined> {
  const hashes = new Map<string, string>();
  const newImages: PlannedImage[] = [];
  let knownImages = 0;
  for (const image of plan.images) {
    let data: Buffer;
    try {
      data = await readFile(image.path);
    } catch (error) {
      deps.report.failed += 1;
      deps.report.problems.push({ where: image.label, reason: `cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})` });
      return undefined;
    }
    const sha256 = sha256Of(data);
    hashes.set(image.path, sha256);
    if (await deps.catalog.hasImage(plan.input.sku, sha256)) knownImages += 1;
    else newImages.push(image);
  }
  if (newImages.length === 0 && (await isUnchanged(plan.input, deps.catalog))) {
    deps.report.skipped += 1;
    return undefined;
  }
  return { plan, newImages, knownImages, hashes };
}

async function isUnchanged(input: ProductInput, catalog: CatalogService): Promise<boolean> {
  const stored = await catalog.findProduct(input.sku);
  if (!stored || !stored.active) return false;
  return (
    stored.name === input.name &&
    stored.price === input.price &&
    stored.currency === input.currency &&
    stored.category === input.category &&
    stored.stock === input.stock &&
    stored.description === (input.description ?? '') &&
    stored.url === (input.url ?? null)
  );
}

type EmbeddingResults = Map<string, { ok: true; image: ImageEmbedding } | { ok: false; reason: string }>;

/** Embeds every new image in order, calling `afterEach` once per image; stops quietly when `signal` aborts. */
async function embedAll(
  pending: readonly PendingProduct[],
  results: EmbeddingResults,
  afterEach: () => Promise<void>,
  deps: { model: EmbeddingModel; onProgress?: ImportProgress; signal?: AbortSignal },
): Promise<void> {
  const images = pending.flatMap((item) => item.newImages);
  let done = 0;
  try {
    const stream = deps.model.embedAll(images.map((image) => ({ source: image.label, path: image.path })), deps.signal ? { signal: deps.signal } : {});
    for await (const outcome of stream) {
      done += 1;
      deps.onProgress?.(done, images.length, outcome.input.source);
      const key = outcome.input.path!;
      results.set(key, outcome.ok ? { ok: true, image: outcome.image } : { ok: false, reason: reasonOnly(outcome.error) });
      await afterEach();
      if (deps.signal?.aborted) return;
    }
  } catch (error) {
    if (!deps.signal?.aborted) throw error;
  }
}

function reasonOnly(error: Error & { source?: string }): string {
  const prefix = error.source ? `${error.source}: ` : '';
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

async function save(
  item: PendingProduct,
  embeddings: EmbeddingResults,
  deps: { catalog: CatalogService; report: ImportReport },
): Promise<void> {
  const ready: EmbeddedImage[] = [];
  for (const image of item.newImages) {
    const result = embeddings.get(image.path);
    if (!result?.ok) {
      deps.report.failed += 1;
      deps.report.problems.push({ where: image.label, reason: result?.reason ?? 'not embedded' });
      return;
    }
    // The embedder hashed the same bytes we did; keep ours so dedupe uses the original file's hash.
    const sha256 = item.hashes.get(image.path) ?? result.image.sha256;
    ready.push({ source: image.path, original: image.path, embedded: { ...result.image, sha256 } });
  }
  try {
    const outcome = await deps.catalog.saveProduct(item.plan.input, ready);
    if (outcome.kind === 'created') deps.report.imported += 1;
    else if (outcome.kind === 'updated') deps.report.updated += 1;
    else deps.report.skipped += 1;
  } catch (error) {
    // Every later product would fail the same way: stop, and let the caller say "disk full" once.
    if (isOutOfSpace(error)) throw error;
    deps.report.failed += 1;
    deps.report.problems.push({ where: item.plan.where, reason: error instanceof Error ? error.message : String(error) });
  }
}

/** The disk (or quota) is full: a file-system `ENOSPC`/`EDQUOT`, or PostgreSQL's `disk_full`. */
function isOutOfSpace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === '53100';
}
