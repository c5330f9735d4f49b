/**
 * Makes sure `npm start` has a backbone: the configured file if present, else the pretrained
 * download, else (offline) a generated ResNet-50 so the assistant still runs — loudly flagged,
 * because its matches are not meaningful.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';

export const FALLBACK_SEED = 42;

export type BackboneChoice =
  | { readonly kind: 'configured'; readonly path: string }
  | { readonly kind: 'downloaded'; readonly path: string }
  | { readonly kind: 'generated-fallback'; readonly path: string; readonly reason: string };

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Resolves the model file to load; see the module comment for the order tried. */
export async function ensureBackbone(modelPath: string, logger: Logger, fetchImpl?: typeof fetch): Promise<BackboneChoice> {
  if (await exists(modelPath)) return { kind: 'configured', path: modelPath };
  const modelsDir = path.dirname(modelPath);
  try {
    logger.info({ modelPath }, 'model file missing: downloading the pretrained ResNet-50');
    // Loaded only when the model is missing: fetching pulls in the ONNX protobuf schema.
    const { fetchPretrainedModel } = await import('./model-fetch.ts');
    const result = await fetchPretrainedModel({ modelsDir, ...(fetchImpl ? { fetchImpl } : {}) });
    return { kind: 'downloaded', path: result.modelPath };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const fallback = path.join(modelsDir, `generated-resnet50-seed${FALLBACK_SEED}.onnx`);
    if (!(await exists(fallback))) {
      // Loaded only for this fallback: the generator's protobuf schema is not needed to serve.
      const { writeGeneratedModel } = await import('./model-generator/index.ts');
      await writeGeneratedModel({ arch: 'resnet50', seed: FALLBACK_SEED, out: fallback });
    }
    logger.warn(
      { fallback, reason },
      '!!! NO PRETRAINED MODEL: running on a GENERATED ResNet-50 with random weights. Matches are NOT meaningful until you run `npx shoplens model fetch` (or `model fetch --from <mirror> --sha256 <hex>`, or `model import <your ResNet-50 .onnx> --pretrained --activate`; see README "Models") and restart.',
    );
    return { kind: 'generated-fallback', path: fallback, reason };
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
