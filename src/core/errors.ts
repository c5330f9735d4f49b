/**
 * Typed failures of the assistant core. Expected outcomes (no match, skipped row) are values,
 * not errors; these are for situations the caller must handle or report.
 */

import { ModelMismatchError } from '../domain/errors.ts';

/** One class for every model mismatch (see `src/domain/errors.ts`); re-exported for the core's callers. */
export { ModelMismatchError };

/**
 * The catalog holds embeddings made by another backbone than the loaded one.
 * @param storedCounts images per model id, as stored (the active model's own count is ignored).
 */
export function catalogModelMismatch(activeModelId: string, storedCounts: ReadonlyMap<string, number>): ModelMismatchError {
  const others = [...storedCounts].filter(([model]) => model !== activeModelId);
  const described = others.map(([model, count]) => `${count} by ${model}`).join(', ');
  return new ModelMismatchError(
    'The catalog',
    `it has images embedded by another model (${described}), but the loaded model is ${activeModelId}: run \`npx shoplens reindex\` to re-embed them`,
    'catalog',
  );
}

/** An owner command referred to a product that does not exist. */
export class UnknownProductError extends Error {
  constructor(readonly sku: string) {
    super(`No product with SKU "${sku}".`);
    this.name = 'UnknownProductError';
  }
}

/** Owner-supplied product data was invalid; `problems` names every bad field. */
export class InvalidProductError extends Error {
  constructor(
    readonly where: string,
    readonly problems: readonly string[],
  ) {
    super(`${where}: ${problems.join('; ')}`);
    this.name = 'InvalidProductError';
  }
}

/** A new product was given the SKU of an existing one (edit that product instead). */
export class ProductExistsError extends Error {
  constructor(readonly sku: string) {
    super(`A product with SKU "${sku}" already exists; edit it instead, or choose another SKU.`);
    this.name = 'ProductExistsError';
  }
}
