/**
 * `node --import tsx bench/train-ablation.bench.ts [folder]`: which ingredients of the `best`
 * recipe earn their place? Trains variants on the features `bench:train` cached (same backbone,
 * same seeded split, same augmented copies) and prints validation accuracy and loss for each.
 * Run `npm run bench:train` first.
 */
import { join, resolve } from 'node:path';
import { readImageFolder } from '../src/core/training/dataset.ts';
import { openDatabase } from '../src/db/open.ts';
import { FeatureCacheRepository, featureKeyString } from '../src/db/repositories/feature-cache.ts';
import { augmentationId } from '../src/ml/augment.ts';
import { trainHead, type TrainingJob } from '../training/pipeline.ts';
import { BEST, THESIS, type Hyperparameters } from '../training/recipes.ts';
import { stratifiedSplit } from '../training/split.ts';

const BENCH_DIR = resolve('.bench');
const folder = process.argv[2] ?? join(BENCH_DIR, 'train-catalog-v1');

const VARIANTS: Record<string, Hyperparameters> = {
  'thesis (exact)': THESIS,
  'thesis + standardized features': { ...THESIS, standardize: true },
  'thesis + lr 1e-3': { ...THESIS, learningRate: 1e-3 },
  'best': BEST,
  'best − standardization': { ...BEST, standardize: false },
  'best − label smoothing': { ...BEST, labelSmoothing: 0 },
  'best − class balancing': { ...BEST, classBalanced: false },
  'best − weight decay': { ...BEST, weightDecay: 0 },
  'best − cosine decay': { ...BEST, schedule: 'constant' },
  'best − early stopping (60 epochs)': { ...BEST, patience: 0, monitorFraction: 0 },
  'best, lr 3e-4': { ...BEST, learningRate: 3e-4 },
  'best, lr 3e-3': { ...BEST, learningRate: 3e-3 },
  'best − augmented copies': { ...BEST, augmentCopies: 0 },
};

async function main(): Promise<void> {
  const db = await openDatabase({ url: undefined, dataDir: join(BENCH_DIR, 'train-data') });
  try {
    const { rows } = await db.query<{ model_id: string }>('SELECT model_id FROM feature_cache GROUP BY model_id ORDER BY count(*) DESC LIMIT 1');
    const modelId = rows[0]?.model_id;
    if (!modelId) throw new Error('no cached features: run `npm run bench:train` first');
    const images = (await readImageFolder(folder)).filter((image) => !image.source.includes('/new-'));
    const categories = [...new Set(images.map((image) => image.category))].sort();
    const label = new Map(categories.map((category, index) => [category, index]));
    const cache = await new FeatureCacheRepository(db).getMany(modelId, images.flatMap((image) => [0, 1].map((copy) => ({ sha256: image.sha256, augmentation: augmentationId(42, copy) }))));
    console.log(`${images.length} images, ${categories.length} categories, backbone ${modelId}`);
    for (const [name, h] of Object.entries(VARIANTS)) {
      const split = stratifiedSplit(images.map((image) => ({ sha256: image.sha256, label: label.get(image.category)! })), h.validationFraction, h.seed);
      const rowsFor = (indices: number[], copies: number) => indices.flatMap((index) => Array.from({ length: copies + 1 }, (_, copy) => {
        const features = cache.get(featureKeyString({ sha256: images[index]!.sha256, augmentation: augmentationId(h.seed, copy) }));
        return features ? [{ features, label: label.get(images[index]!.category)!, group: index }] : [];
      }).flat());
      const pack = (rows: ReturnType<typeof rowsFor>) => {
        const dimension = rows[0]!.features.length;
        const x = new Float32Array(rows.length * dimension);
        rows.forEach((row, i) => x.set(row.features, i * dimension));
        return { x, y: Int32Array.from(rows, (r) => r.label), group: Int32Array.from(rows, (r) => r.group), count: rows.length, dimension };
      };
      const job: TrainingJob = { categories, hyperparameters: h, train: pack(rowsFor(split.train, h.augmentCopies)), validation: pack(rowsFor(split.validation, 0)) };
      const started = performance.now();
      const out = trainHead(job);
      console.log(`${name.padEnd(36)} val acc ${(out.valAccuracy * 100).toFixed(1).padStart(5)}%  val loss ${out.valLoss.toFixed(3)}  epochs ${out.history.length} (kept ${out.bestEpoch})  ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    await db.close();
  }
}

await main();
