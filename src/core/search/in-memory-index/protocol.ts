/** Messages between {@link EmbeddingIndex} and its worker thread; handled strictly in order. */
import type { CandidateFilter, Candidates, IndexedProduct } from './vector-store.ts';

export type IndexRequest =
  | { readonly type: 'clear' }
  | { readonly type: 'setProducts'; readonly products: readonly IndexedProduct[] }
  | { readonly type: 'removeProducts'; readonly ids: readonly number[] }
  | { readonly type: 'upsertImages'; readonly imageIds: Int32Array; readonly productIds: Int32Array; readonly halves: Uint16Array }
  | { readonly type: 'removeImages'; readonly ids: readonly number[] }
  | {
      readonly type: 'nearest';
      /** A query embedding, or the id of an indexed image to search from. */
      readonly near: { readonly embedding: Float32Array } | { readonly imageId: number };
      readonly wanted: number;
      /** Extra products the int8 scan proposes for the exact ranking. */
      readonly margin: number;
      readonly filter: CandidateFilter;
    }
  | { readonly type: 'stats' };

export interface IndexStats {
  readonly images: number;
  readonly bytes: number;
}

/** Reply to a request: `nearest` → Candidates, `stats` → IndexStats, others → null. */
export type IndexReply = { readonly id: number; readonly ok: true; readonly value: Candidates | IndexStats | null } | { readonly id: number; readonly ok: false; readonly message: string };

export interface IndexWorkerData {
  readonly dimension: number;
}
