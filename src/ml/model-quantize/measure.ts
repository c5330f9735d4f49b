/**
 * The ONNX Runtime runs `model quantize` needs: activation ranges of the float backbone on the
 * calibration photos, the agreement of the int8 copy with it on held-out photos, and how long one
 * image takes on each here.
 */
import * as ort from 'onnxruntime-node';
import { cosineSimilarity } from '../embedder.ts';
import { ModelImportError } from '../model-import/errors.ts';
import { openSession } from '../model-import/probe.ts';
import { sessionOptionsFor } from '../execution-provider.ts';
import { IMAGE_CHANNELS, IMAGE_SIZE } from '../model-import/onnx-graph.ts';
import type { ValueRange } from './qdq-graph.ts';

/** Timed runs per model; the median is reported. */
const TIMED_RUNS = 15;

/** The assistant's own CPU settings, so the timing is what serving will see. */
function openWithServingSettings(bytes: Uint8Array, threads: number, label: string): Promise<ort.InferenceSession> {
  return openSession(bytes, label, sessionOptionsFor(['cpu'], { threads }));
}

function imageTensor(data: Float32Array): ort.Tensor {
  return new ort.Tensor('float32', data, [1, IMAGE_CHANNELS, IMAGE_SIZE, IMAGE_SIZE]);
}

/**
 * Smallest and largest value of each named tensor over all `images`, one image per run.
 * @param probeBytes the float model with every name in `names` (except the input) exposed as an output.
 * @param images `[3, 224, 224]` preprocessed images.
 */
export async function activationRanges(
  probeBytes: Uint8Array, inputName: string, names: readonly string[], images: readonly Float32Array[], threads: number, label: string,
): Promise<Map<string, ValueRange>> {
  const session = await openWithServingSettings(probeBytes, threads, label);
  const ranges = new Map<string, ValueRange>(names.map((name) => [name, { min: Infinity, max: -Infinity }]));
  try {
    for (const image of images) {
      const outputs = await session.run({ [inputName]: imageTensor(image) });
      for (const name of names) {
        const values = name === inputName ? image : (outputs[name]?.data as Float32Array | undefined);
        if (values === undefined) throw new ModelImportError(`${label}: tensor "${name}" could not be read during calibration`);
        const range = ranges.get(name)!;
        for (let i = 0; i < values.length; i++) {
          const value = values[i]!;
          if (value < range.min) range.min = value;
          if (value > range.max) range.max = value;
        }
      }
    }
  } finally {
    await session.release();
  }
  return ranges;
}

/** What the int8 copy gives next to the float backbone. */
export interface Comparison {
  /** Cosine similarity of the two embeddings of each check photo. */
  cosines: number[];
  /** Median ms per image (batch of one) on each, same threads, measured alternately. */
  floatMs: number;
  int8Ms: number;
}

/** Embeds every image with both models, then times one image on each. */
export async function compareModels(
  floatBytes: Uint8Array, int8Bytes: Uint8Array, io: { inputName: string; outputName: string }, images: readonly Float32Array[], threads: number, label: string,
): Promise<Comparison> {
  const float = await openWithServingSettings(floatBytes, threads, label);
  const int8 = await openWithServingSettings(int8Bytes, threads, `${label} (int8)`).catch(async (error: unknown) => {
    await float.release();
    throw error;
  });
  try {
    const embed = async (session: ort.InferenceSession, image: Float32Array): Promise<Float32Array> =>
      (await session.run({ [io.inputName]: imageTensor(image) }))[io.outputName]!.data as Float32Array;
    const cosines: number[] = [];
    for (const image of images) cosines.push(cosineSimilarity(await embed(float, image), await embed(int8, image)));
    const floatTimes: number[] = [];
    const int8Times: number[] = [];
    const probe = images[0]!;
    await embed(float, probe);
    await embed(int8, probe);
    for (let run = 0; run < TIMED_RUNS; run++) {
      floatTimes.push(await timed(() => embed(float, probe)));
      int8Times.push(await timed(() => embed(int8, probe)));
    }
    return { cosines, floatMs: median(floatTimes), int8Ms: median(int8Times) };
  } finally {
    await Promise.all([float.release(), int8.release()]);
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** Middle value (mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
