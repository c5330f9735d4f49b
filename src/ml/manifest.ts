/**
 * Model manifests: what a backbone file is, where it came from and how to feed it.
 * Every `.onnx` backbone has a sidecar `<name>.manifest.json`; embeddings are stamped with
 * {@link modelIdOf} so vectors from different backbones are never compared.
 */
import { readFile, writeFile, rename } from 'node:fs/promises';
import { z } from 'zod';
import { OperationalError } from '../domain/errors.ts';

export const modelManifestSchema = z.object({
  /** Stable name of the backbone, e.g. `resnet50-imagenet-v1` or `generated-resnet50-seed42`. */
  id: z.string().min(1),
  /** True only for weights trained on ImageNet; generated weights give meaningless matches. */
  pretrained: z.boolean(),
  arch: z.string().min(1),
  /**
   * `download`: `model fetch`; `generated`: `model generate`; `import`: `model import`;
   * `quantized`: `model quantize` (an int8 copy of another backbone); `custom`: written by hand.
   */
  source: z.enum(['download', 'generated', 'import', 'quantized', 'custom']),
  url: z.string().nullable(),
  /** Lower-case hex SHA-256 of the `.onnx` file. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  inputName: z.string().min(1),
  outputName: z.string().min(1),
  /** Square input side in pixels (224 for ResNet-50). */
  inputSize: z.number().int().positive(),
  /** Per-channel RGB mean and std applied after scaling pixels to [0, 1]. */
  mean: z.tuple([z.number(), z.number(), z.number()]),
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  /** Length of the embedding vector the output produces (2048 for ResNet-50). */
  dimension: z.number().int().positive(),
  createdAt: z.string().optional(),
  /** For `model import`: the file the backbone was made from, and how it was changed. */
  importedFrom: z
    .object({
      /** Absolute path (or URL) of the original file. */
      file: z.string().min(1),
      /** Lower-case hex SHA-256 of the original file; differs from `sha256` when it was cut. */
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      /** What was removed, e.g. `cut after GlobalAveragePool "avgpool" (removed Gemm, Softmax)`; null when used as is. */
      change: z.string().nullable(),
      /** `producer_name producer_version` recorded in the original file. */
      producer: z.string(),
    })
    .optional(),
  /** For `model quantize`: the float backbone it was made from and how closely it agrees with it. */
  quantizedFrom: z
    .object({
      /** `<id>@<sha256 prefix>` of the float backbone. */
      modelId: z.string().min(1),
      /** Lower-case hex SHA-256 of the float backbone's file. */
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      /** Photos whose activations set the int8 scales. */
      calibrationPhotos: z.number().int().positive(),
      /** Held-out photos embedded by both models to check the copy. */
      checkPhotos: z.number().int().positive(),
      /** Lowest and median cosine similarity between the two models' embeddings of the check photos. */
      cosineMin: z.number(),
      cosineMedian: z.number(),
    })
    .optional(),
});

export type ModelManifest = z.infer<typeof modelManifestSchema>;

/** ImageNet channel statistics used by torchvision-trained ResNets, in RGB order. */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/** Path of the sidecar manifest for a model file: `models/x.onnx` → `models/x.manifest.json`. */
export function manifestPathFor(modelPath: string): string {
  return `${modelPath.replace(/\.onnx$/i, '')}.manifest.json`;
}

/**
 * Identifier stored with every embedding: the manifest id plus the first 12 hex digits of the
 * file hash, so that replacing weights under the same name still counts as a different model.
 */
export function modelIdOf(manifest: Pick<ModelManifest, 'id' | 'sha256'>): string {
  return `${manifest.id}@${manifest.sha256.slice(0, 12)}`;
}

/** Thrown when a manifest is missing or malformed; the message names the file. */
export class ManifestError extends OperationalError {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/** Reads and validates the sidecar manifest of `modelPath`. */
export async function readManifest(modelPath: string): Promise<ModelManifest> {
  const file = manifestPathFor(modelPath);
  const fix = `\`npx shoplens model import ${modelPath}\` inspects the model and writes one`;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ManifestError(file, `manifest not found; ${fix}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ManifestError(file, `not valid JSON; ${fix}`);
  }
  const parsed = modelManifestSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ManifestError(file, `invalid manifest (${fields.join('; ')}); ${fix}`);
  }
  return parsed.data;
}

/** Writes the sidecar manifest atomically (temp file + rename) so a crash never leaves half a file. */
export async function writeManifest(modelPath: string, manifest: ModelManifest): Promise<void> {
  const file = manifestPathFor(modelPath);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(temporary, file);
}
