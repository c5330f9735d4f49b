/**
 * Text search for the bot: the core's name/category search, after correcting small typos
 * against the words of the in-stock catalog ("dres" → "dress", "blouze" → "blouse").
 */
import type { SearchService, PageRequest, Requester } from '../../core/search/search-service.ts';
import type { CatalogStateRepository } from '../../db/repositories/catalog-state.ts';
import type { CatalogVocabularyRepository } from '../../db/repositories/catalog-vocabulary.ts';
import type { ImageRepository } from '../../db/repositories/images.ts';
import type { Product, ProductImage } from '../../domain/catalog.ts';

/** A text-search result: the product and its first image, if it has one. */
export interface TextHit {
  readonly product: Product;
  readonly image: ProductImage | undefined;
}

export class TextSearch {
  private vocabulary: { revision: number; words: readonly string[] } | undefined;

  constructor(
    private readonly deps: {
      readonly search: SearchService;
      readonly words: CatalogVocabularyRepository;
      readonly state: CatalogStateRepository;
      readonly images: ImageRepository;
      /** Most edits tolerated per word; 0 disables typo correction. */
      readonly maxEdits: number;
    },
  ) {}

  /** Runs one logged search for `text` (typos corrected) and returns the page of hits. */
  async find(text: string, page: PageRequest, requester: Requester): Promise<TextHit[]> {
    const query = this.deps.maxEdits > 0 ? correctTypos(text, await this.words(), this.deps.maxEdits) : text;
    const { products } = await this.deps.search.searchByText(query, page, requester);
    return Promise.all(
      products.map(async (product) => ({ product, image: (await this.deps.images.listForProduct(product.id))[0] })),
    );
  }

  /** Catalog words, re-read only when the catalog revision changed. */
  private async words(): Promise<readonly string[]> {
    const { revision } = await this.deps.state.revision();
    if (this.vocabulary?.revision !== revision) {
      this.vocabulary = { revision, words: await this.deps.words.inStockWords() };
    }
    return this.vocabulary.words;
  }
}

/**
 * Replaces each word of `text` that is not a catalog word with the closest catalog word within
 * the allowed edits (short words get fewer: one typo in "hat" is another word). Words with digits
 * are left alone because they are usually SKUs or sizes.
 */
export function correctTypos(text: string, vocabulary: readonly string[], maxEdits: number): string {
  const known = new Set(vocabulary);
  return text
    .trim()
    .split(/\s+/)
    .map((word) => {
      const lower = word.toLowerCase();
      if (known.has(lower) || /\d/.test(lower)) return word;
      const allowed = Math.min(maxEdits, lower.length <= 3 ? 0 : lower.length <= 6 ? 1 : 2);
      return closestWord(lower, vocabulary, allowed) ?? word;
    })
    .join(' ');
}

function closestWord(word: string, vocabulary: readonly string[], allowed: number): string | undefined {
  let best: { word: string; distance: number } | undefined;
  for (const candidate of vocabulary) {
    if (allowed === 0 || Math.abs(candidate.length - word.length) > allowed) continue;
    const distance = editDistance(word, candidate, allowed);
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { word: candidate, distance };
  }
  return best?.word;
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transpositions, the commonest
 * typing slip). Stops early and returns `limit + 1` once every path exceeds `limit`.
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, before[j - 2]! + 1);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > limit) return limit + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}
