/**
 * Large synthetic catalogs for bench:index, written fast enough for 100,000 products.
 *
 * How the vectors are made: 100 cluster centres with components uniform in [0, 1) (ResNet
 * features are non-negative) and a pool of 64 noise vectors uniform in [-0.6, 0.6), all from a
 * seeded generator. Image k of product i is L2-normalise(centre[i mod 100] + four pool vectors
 * chosen by PostgreSQL's hashint4 of (i, k)), computed by pgvector itself (64⁴ combinations, so
 * exact duplicates — ties that make recall meaningless — are rare): parsing a 2,048-number text
 * literal costs ~13 ms in PGlite, so only the 164 basis vectors are sent as text and every image
 * is built in SQL from them. Every fourth product has a second image; 30% of the products are out
 * of stock; 20 categories. Queries are centres plus a fresh combination of noise vectors.
 */
import type { Database } from '../../src/db/database.ts';
import { toVectorLiteral } from '../../src/db/vector.ts';
import { seededRandom } from '../../training/random.ts';

export const CENTRES = 100;
const NOISE_POOL = 64;
const NOISE_AMPLITUDE = 0.5;
const CHUNK = 5_000;

export interface SyntheticCatalog {
  readonly products: number;
  readonly images: number;
  /** Query embeddings (unit length), one per requested query. */
  readonly queries: Float32Array[];
  readonly fillMs: number;
}

function basis(dimension: number, seed: number): { centres: Float32Array[]; noise: Float32Array[] } {
  const random = seededRandom(seed);
  const vector = (make: () => number) => Float32Array.from({ length: dimension }, make);
  return {
    centres: Array.from({ length: CENTRES }, () => vector(() => random())),
    noise: Array.from({ length: NOISE_POOL }, () => vector(() => (random() * 2 - 1) * NOISE_AMPLITUDE)),
  };
}

function normalized(vector: Float32Array): Float32Array {
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

/**
 * Writes `products` products (ids 1…n in a fresh database) and their images for `modelId`.
 * @param onProgress called after each chunk of products with the number written so far.
 */
export async function fillSyntheticCatalog(
  db: Database,
  options: { products: number; modelId: string; queries: number; dimension?: number; seed?: number; onProgress?: (done: number) => void },
): Promise<SyntheticCatalog> {
  const dimension = options.dimension ?? 2048;
  const { centres, noise } = basis(dimension, options.seed ?? 12_345);
  const started = performance.now();
  await db.exec(`CREATE TABLE bench_basis (kind text NOT NULL, idx integer NOT NULL, v halfvec(${dimension}) NOT NULL, PRIMARY KEY (kind, idx))`);
  for (const [kind, vectors] of [['centre', centres], ['noise', noise]] as const) {
    for (const [idx, vector] of vectors.entries()) {
      await db.query('INSERT INTO bench_basis VALUES ($1, $2, $3::halfvec)', [kind, idx, toVectorLiteral(vector)]);
    }
  }
  for (let start = 1; start <= options.products; start += CHUNK) {
    const end = Math.min(options.products, start + CHUNK - 1);
    await db.query(
      `INSERT INTO products (sku, name, price, currency, category, stock)
       SELECT 'S' || i, 'Product ' || i, 10, 'USD', 'c' || (i % 20), CASE WHEN (i * 7) % 10 < 3 THEN 0 ELSE 1 + i % 5 END
       FROM generate_series($1::int, $2::int) i`,
      [start, end],
    );
    await db.query(
      `INSERT INTO product_images (product_id, source, file_path, sha256, width, height, model_id, embedding)
       SELECT p.id, 'synthetic', 'synthetic.jpg', lpad(to_hex(p.id * 4 + k), 64, '0'), 1, 1, $3,
              l2_normalize(c.v + a.v + b.v + e.v + f.v)
       FROM generate_series($1::int, $2::int) i
       JOIN products p ON p.sku = 'S' || i
       CROSS JOIN LATERAL generate_series(0, CASE WHEN i % 4 = 0 THEN 1 ELSE 0 END) k
       JOIN bench_basis c ON c.kind = 'centre' AND c.idx = i % ${CENTRES}
       JOIN bench_basis a ON a.kind = 'noise' AND a.idx = abs(hashint4(i * 8 + k * 4)) % ${NOISE_POOL}
       JOIN bench_basis b ON b.kind = 'noise' AND b.idx = abs(hashint4(i * 8 + k * 4 + 1)) % ${NOISE_POOL}
       JOIN bench_basis e ON e.kind = 'noise' AND e.idx = abs(hashint4(i * 8 + k * 4 + 2)) % ${NOISE_POOL}
       JOIN bench_basis f ON f.kind = 'noise' AND f.idx = abs(hashint4(i * 8 + k * 4 + 3)) % ${NOISE_POOL}`,
      [start, end, options.modelId],
    );
    options.onProgress?.(end);
  }
  return { ...(await describeSyntheticCatalog(db, options)), fillMs: performance.now() - started };
}

/** Counts and queries of a catalog {@link fillSyntheticCatalog} wrote earlier with the same options. */
export async function describeSyntheticCatalog(
  db: Database,
  options: { products: number; queries: number; dimension?: number; seed?: number },
): Promise<SyntheticCatalog> {
  const { centres, noise } = basis(options.dimension ?? 2048, options.seed ?? 12_345);
  const { rows } = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM product_images');
  const random = seededRandom((options.seed ?? 12_345) + 1);
  const pick = () => noise[Math.floor(random() * NOISE_POOL)]!;
  const queries = Array.from({ length: options.queries }, (_, q) => {
    const [a, b, e, f] = [pick(), pick(), pick(), pick()];
    return normalized(centres[(q * 37) % CENTRES]!.map((value, d) => value + a[d]! + b[d]! + e[d]! + f[d]!));
  });
  return { products: options.products, images: Number(rows[0]!.count), queries, fillMs: 0 };
}
