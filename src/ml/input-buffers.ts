/**
 * Reusable float32 buffers for network inputs. A new 0.6 MB buffer per customer photo is memory
 * the process has not touched yet: normalizing into it page-faults on the main thread, and ONNX
 * Runtime then reads it cold. Buffers handed to the inference worker come back with its answer
 * (see Backbone.run) and wait here for the next photo or batch.
 */
export class InputBufferPool {
  private readonly free = new Map<number, Float32Array[]>();

  /** @param maxFreePerLength buffers kept per length; more are left to the garbage collector. */
  constructor(private readonly maxFreePerLength: number) {}

  /**
   * A buffer of exactly `length` float32 values, reused when one is free. Its contents are
   * whatever the last user left: the caller must write every value it reads.
   */
  take(length: number): Float32Array {
    return this.free.get(length)?.pop() ?? new Float32Array(length);
  }

  /** Returns a buffer nobody will read or write again; views into a larger buffer are not kept. */
  give(buffer: Float32Array): void {
    if (buffer.length === 0 || buffer.byteOffset !== 0 || buffer.byteLength !== buffer.buffer.byteLength) return;
    let list = this.free.get(buffer.length);
    if (list === undefined) {
      list = [];
      this.free.set(buffer.length, list);
    }
    if (list.length < this.maxFreePerLength && !list.includes(buffer)) list.push(buffer);
  }

  /** Buffers waiting for reuse, over all lengths (tests). */
  get size(): number {
    let total = 0;
    for (const list of this.free.values()) total += list.length;
    return total;
  }
}

/**
 * The process's pool: preprocessing takes from it, the backbone gives back what the inference
 * worker returns. Eight per length covers ten customers at once (two photos per merged batch).
 */
export const inputBuffers = new InputBufferPool(8);
