/**
 * Worker-thread entry of the in-memory index: owns the {@link VectorStore} and serves requests in
 * the order they arrive, so a search always sees every update sent before it. Started by
 * {@link EmbeddingIndex}; a scan of 100,000 rows takes milliseconds of CPU that must not stall the
 * main thread, where customers' messages are handled.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { IndexReply, IndexRequest, IndexStats, IndexWorkerData } from './protocol.ts';
import { VectorStore, type Candidates } from './vector-store.ts';

const store = new VectorStore((workerData as IndexWorkerData).dimension);

function handle(request: IndexRequest): Candidates | IndexStats | null {
  switch (request.type) {
    case 'clear':
      store.clear();
      return null;
    case 'setProducts':
      store.setProducts(request.products);
      return null;
    case 'removeProducts':
      store.removeProducts(request.ids);
      return null;
    case 'upsertImages':
      store.upsertImages(request.imageIds, request.productIds, request.halves);
      return null;
    case 'removeImages':
      store.removeImages(request.ids);
      return null;
    case 'nearest': {
      const query = 'embedding' in request.near ? request.near.embedding : store.embeddingOf(request.near.imageId);
      if (query === undefined) return { hits: [], exhausted: true };
      return store.nearestProducts(query, request.wanted, request.margin, request.filter);
    }
    case 'stats':
      return { images: store.size, bytes: store.bytes };
  }
}

parentPort?.on('message', ({ id, request }: { id: number; request: IndexRequest }) => {
  let reply: IndexReply;
  try {
    reply = { id, ok: true, value: handle(request) };
  } catch (error) {
    reply = { id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(reply);
});
