import type { EmbeddingModel } from '../../core/ports.ts';
import type { CliContext } from '../context.ts';

/** Generated weights make every match meaningless; say so wherever results are shown. */
export function warnIfNotPretrained(context: CliContext, model: Pick<EmbeddingModel, 'pretrained' | 'modelId'>): void {
  if (!model.pretrained) {
    context.output.warn(
      `Warning: the backbone ${model.modelId} has generated (random) weights, not ImageNet ones; matches are not meaningful. ` +
        'Run `npx shoplens model fetch` to get the pretrained ResNet-50.',
    );
  }
}
