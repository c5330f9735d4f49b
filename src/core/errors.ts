/**
 * Typed failures of the assistant core. Expected outcomes (no match, skipped row) are values,
 * not errors; these are for situations the caller must handle or report.
 */

/** The stored embeddings were made by another backbone than the one loaded. */
export class ModelMismatchError extends Error {
  constructor(
    readonly activeModelId: string,
    readonly storedCounts: ReadonlyMap<string, number>,
  ) {
    const others = [...storedCounts].filter(([model]) => model !== activeModelId);
    const described = others.map(([model, count]) => `${count} by ${model}`).join(', ');
    super(
      `The catalog has images embedded by another model (${described}); the loaded model is ${activeModelId}. ` +
        'Run `npx shoplens reindex` to re-embed them.',
    );
    this.name = 'ModelMismatchError';
  }
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
