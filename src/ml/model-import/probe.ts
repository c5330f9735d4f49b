/**
 * Runs candidate graphs in ONNX Runtime: once to measure which pool really has 2,048 channels, and
 * once on real preprocessed pictures to prove the written backbone gives usable vectors. A file
 * only becomes a backbone after it has worked here exactly as the app will run it.
 */
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { preprocessImage, type ChannelStats } from '../preprocess.ts';
import { ModelImportError } from './errors.ts';
import { FEATURE_CHANNELS, IMAGE_CHANNELS, IMAGE_SIZE, formatShape, oneLine, type PoolCandidate } from './onnx-graph.ts';

/** Below this relative distance two vectors count as the same (an input-independent graph). */
const DISTINCT_RELATIVE_DISTANCE = 1e-4;
/** One image alone and the same image inside a batch must agree this closely (relative L2). */
const BATCH_CONSISTENCY_TOLERANCE = 1e-3;

/**
 * Opens `bytes` on the CPU; every failure becomes one {@link ModelImportError} line naming `label`.
 * @param options replaces the default CPU settings (`model quantize` times with the assistant's own).
 */
export async function openSession(
  bytes: Uint8Array,
  label: string,
  options: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' },
): Promise<ort.InferenceSession> {
  try {
    // Severity 3 = errors only: the runtime's warnings (unused initializers…) are not the owner's business.
    return await ort.InferenceSession.create(bytes, { ...options, logSeverityLevel: 3 });
  } catch (error) {
    throw new ModelImportError(
      `${label}: ONNX Runtime cannot load it (${oneLine(String(error instanceof Error ? error.message : error))}); export it again (e.g. torch.onnx.export, opset 13 or later)`,
    );
  }
}

async function run(session: ort.InferenceSession, inputName: string, data: Float32Array, count: number, label: string): Promise<ort.InferenceSession.ReturnType> {
  try {
    return await session.run({ [inputName]: new ort.Tensor('float32', data, [count, IMAGE_CHANNELS, IMAGE_SIZE, IMAGE_SIZE]) });
  } catch (error) {
    throw new ModelImportError(`${label}: ONNX Runtime failed on a ${count}×${IMAGE_CHANNELS}×${IMAGE_SIZE}×${IMAGE_SIZE} batch (${oneLine(String(error instanceof Error ? error.message : error))})`);
  }
}

/**
 * Runs `probeBytes` (the model with every pool candidate exposed as an output) on one blank image
 * and returns the last candidate whose output is 2,048 values per image over a 1×1 map.
 * @throws {ModelImportError} naming what each candidate produced when none fits.
 */
export async function findFeaturePool(probeBytes: Uint8Array, inputName: string, candidates: readonly PoolCandidate[], label: string): Promise<PoolCandidate> {
  if (candidates.length === 0) {
    throw new ModelImportError(
      `${label} has no global average pool (GlobalAveragePool, or ReduceMean over height and width), so no 2,048-d features to use; import a ResNet-50 export`,
    );
  }
  const session = await openSession(probeBytes, label);
  try {
    const outputs = await run(session, inputName, new Float32Array(IMAGE_CHANNELS * IMAGE_SIZE * IMAGE_SIZE), 1, label);
    const shapes = candidates.map((candidate) => ({ candidate, dims: outputs[candidate.output]?.dims ?? [] }));
    const pooled = shapes.filter(({ dims }) => isPooledFeatures(dims)).at(-1);
    if (pooled !== undefined) return pooled.candidate;
    const found = shapes.slice(-3).map(({ candidate, dims }) => `${candidate.op} "${candidate.nodeName}" → ${formatShape(dims)}`).join('; ');
    const channels = shapes.at(-1)?.dims[1];
    const hint = channels === 512 ? ' (512 channels: a ResNet-18/34?)' : '';
    throw new ModelImportError(
      `${label} has no ${FEATURE_CHANNELS.toLocaleString('en')}-channel global average pool (found ${found})${hint}; import a ResNet-50, whose pool gives [N, 2048, 1, 1]`,
    );
  } finally {
    await session.release();
  }
}

function isPooledFeatures(dims: readonly number[]): boolean {
  if (dims[1] !== FEATURE_CHANNELS) return false;
  return dims.length === 2 || (dims.length === 4 && dims[2] === 1 && dims[3] === 1);
}

export interface VerificationReport {
  /** Pictures embedded. */
  images: number;
  /** Output shape for the batch, e.g. [4, 2048]. */
  outputShape: number[];
}

/**
 * Embeds a few distinct synthetic pictures, preprocessed exactly as the app does, in one batch and
 * the first alone, and checks: 2,048 values per image, all finite, not all zero, different pictures
 * give different vectors, and batching does not change a vector.
 * @throws {ModelImportError} saying which check failed.
 */
export async function verifyBackbone(
  bytes: Uint8Array,
  io: { inputName: string; outputName: string; mean: ChannelStats; std: ChannelStats },
  label: string,
): Promise<VerificationReport> {
  const pictures = await testPictures(io.mean, io.std);
  const count = pictures.length;
  const batch = new Float32Array(count * pictures[0]!.length);
  pictures.forEach((picture, i) => batch.set(picture, i * picture.length));
  const session = await openSession(bytes, label);
  try {
    const batched = (await run(session, io.inputName, batch, count, label))[io.outputName];
    const alone = (await run(session, io.inputName, pictures[0]!, 1, label))[io.outputName];
    if (!batched || !(batched.data instanceof Float32Array) || !alone || !(alone.data instanceof Float32Array)) {
      throw new ModelImportError(`${label}: output "${io.outputName}" is not a float32 tensor; export the model in float32`);
    }
    if (batched.dims[0] !== count || batched.data.length !== count * FEATURE_CHANNELS) {
      throw new ModelImportError(
        `${label}: ${count} images gave output ${formatShape(batched.dims)}, not ${count}×${FEATURE_CHANNELS} values; ` +
          're-export it with a dynamic batch axis (torch.onnx.export(..., dynamic_axes={"input": {0: "batch"}}))',
      );
    }
    const values = batched.data;
    const rows = Array.from({ length: count }, (_, i) => values.subarray(i * FEATURE_CHANNELS, (i + 1) * FEATURE_CHANNELS));
    checkRows(rows, alone.data, label);
    return { images: count, outputShape: [...batched.dims] };
  } finally {
    await session.release();
  }
}

function checkRows(rows: readonly Float32Array[], alone: Float32Array, label: string): void {
  if (rows.some((row) => !row.every(Number.isFinite))) {
    throw new ModelImportError(`${label} gives NaN or infinite values on ordinary pictures; its weights are broken: export it again`);
  }
  if (rows.some((row) => norm(row) === 0)) {
    throw new ModelImportError(`${label} gives all-zero features for an ordinary picture; its weights are broken: export it again`);
  }
  for (let i = 0; i < rows.length; i += 1) {
    for (let j = i + 1; j < rows.length; j += 1) {
      if (relativeDistance(rows[i]!, rows[j]!) < DISTINCT_RELATIVE_DISTANCE) {
        throw new ModelImportError(`${label} gives the same features for different pictures, so it cannot tell products apart; check the export (is it in eval mode?)`);
      }
    }
  }
  if (alone.length !== FEATURE_CHANNELS || relativeDistance(alone, rows[0]!) > BATCH_CONSISTENCY_TOLERANCE) {
    throw new ModelImportError(`${label} gives a different vector for a picture alone than in a batch; export it in eval mode with a dynamic batch axis`);
  }
}

function norm(v: Float32Array): number {
  let sum = 0;
  for (const x of v) sum += x * x;
  return Math.sqrt(sum);
}

function relativeDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum) / Math.max(norm(a), norm(b), Number.MIN_VALUE);
}

/** Four pictures that share nothing: colours, shapes, stripes, a gradient. */
const PICTURES = [
  '<rect width="320" height="240" fill="#c0392b"/><circle cx="160" cy="120" r="70" fill="#fdfefe"/>',
  '<rect width="320" height="240" fill="#1f3a93"/>' + Array.from({ length: 6 }, (_, i) => `<rect y="${i * 40}" width="320" height="20" fill="#a9cce3"/>`).join(''),
  '<defs><linearGradient id="g" x2="1" y2="1"><stop offset="0" stop-color="#0b6623"/><stop offset="1" stop-color="#f4d03f"/></linearGradient></defs><rect width="320" height="240" fill="url(#g)"/>',
  '<rect width="320" height="240" fill="#888"/><polygon points="160,30 270,210 50,210" fill="#e67e22"/>',
];

async function testPictures(mean: ChannelStats, std: ChannelStats): Promise<Float32Array[]> {
  return Promise.all(
    PICTURES.map(async (body, i) => {
      const png = await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240">${body}</svg>`)).png().toBuffer();
      const settings = { mode: 'center-crop', inputSize: IMAGE_SIZE, mean, std, maxBytes: png.length, maxPixels: 320 * 240 } as const;
      return (await preprocessImage(png, { ...settings, source: `test picture ${i + 1}` })).tensor;
    }),
  );
}
