/**
 * `npm run bench:index`: should the embedded database get an HNSW index? Measures, on PGlite and
 * (when BENCH_DATABASE_URL is set) PostgreSQL, with N product images (BENCH_IMAGES, default 2000)
 * of clustered 2048-d halfvecs: exact-scan top-10 latency, HNSW build time, HNSW top-10 latency
 * and its recall@10 against the exact answer.
 */
import type { Database } from '../src/db/database.ts';
import { openPglite } from '../src/db/engines/pglite.ts';
import { openPostgres } from '../src/db/engines/postgres.ts';
import { migrate } from '../src/db/migrate.ts';
import { ImageRepository } from '../src/db/repositories/images.ts';
import { ProductRepository } from '../src/db/repositories/products.ts';
import { applyVectorIndexPolicy } from '../src/db/vector-index.ts';
import { near, unitVector } from '../test/helpers/vectors.ts';

const IMAGES = Number(process.env.BENCH_IMAGES ?? 2000);
const QUERIES = 30;
const MODEL = 'bench@000000000000';

async function fill(db: Database): Promise<number> {
  const started = performance.now();
  const products = new ProductRepository(db);
  const images = new ImageRepository(db);
  const centres = Array.from({ length: 20 }, (_, i) => unitVector(10_000 + i));
  for (let i = 0; i < IMAGES; i += 1) {
    await db.transaction(async (tx) => {
      const { product } = await products.within(tx).upsert({ sku: `B${i}`, name: `n${i}`, price: '1.00', currency: 'USD', category: `c${i % 20}`, stock: i % 5 === 0 ? 0 : 3 });
      await images.within(tx).add({ productId: product.id, source: 's', filePath: 'f', width: 1, height: 1, modelId: MODEL, sha256: i.toString(16).padStart(64, '0'), embedding: near(centres[i % 20]!, i, 0.8) });
    });
  }
  return performance.now() - started;
}

async function timeQueries(db: Database, queries: Float32Array[]): Promise<{ medianMs: number; answers: string[][] }> {
  const images = new ImageRepository(db);
  const times: number[] = [];
  const answers: string[][] = [];
  for (const query of queries) {
    const started = performance.now();
    const hits = await images.nearest({ near: { embedding: query }, modelId: MODEL, limit: 10 });
    times.push(performance.now() - started);
    answers.push(hits.map((hit) => hit.product.sku));
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)]!, answers };
}

function recall(exact: string[][], approximate: string[][]): number {
  let found = 0;
  let total = 0;
  exact.forEach((truth, i) => {
    const got = new Set(approximate[i]);
    found += truth.filter((sku) => got.has(sku)).length;
    total += truth.length;
  });
  return found / total;
}

async function measure(name: string, db: Database): Promise<void> {
  await migrate(db);
  await applyVectorIndexPolicy(db, 'none');
  const insertMs = await fill(db);
  const queries = Array.from({ length: QUERIES }, (_, i) => near(unitVector(10_000 + (i % 20)), 50_000 + i, 0.8));
  await timeQueries(db, queries.slice(0, 3));
  const exact = await timeQueries(db, queries);
  const buildStarted = performance.now();
  await applyVectorIndexPolicy(db, 'hnsw');
  const buildMs = performance.now() - buildStarted;
  await db.exec('ANALYZE product_images');
  const indexed = await timeQueries(db, queries);
  console.log(`${name}: ${IMAGES} images of halfvec(2048), in-stock filter, top-10`);
  console.log(`  insert (one transaction per product) ${(insertMs / 1000).toFixed(1)} s`);
  console.log(`  exact scan   median ${exact.medianMs.toFixed(1)} ms  (baseline)`);
  console.log(`  HNSW build   ${(buildMs / 1000).toFixed(1)} s (m=16, ef_construction=64)`);
  console.log(`  HNSW query   median ${indexed.medianMs.toFixed(1)} ms  = ${(indexed.medianMs / exact.medianMs).toFixed(2)} × exact, recall@10 ${recall(exact.answers, indexed.answers).toFixed(3)}`);
  await db.close();
}

await measure('PGlite (embedded)', await openPglite({}));
if (process.env.BENCH_DATABASE_URL) {
  // A throw-away schema, so the benchmark never touches existing tables.
  const schema = `bench_${Date.now()}`;
  const admin = await openPostgres({ url: process.env.BENCH_DATABASE_URL });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  await measure('PostgreSQL + pgvector', await openPostgres({ url: process.env.BENCH_DATABASE_URL, schema }));
  await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
  await admin.close();
} else {
  console.log('PostgreSQL: skipped (set BENCH_DATABASE_URL to a scratch database to compare)');
}
