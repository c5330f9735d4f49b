/**
 * Training started from the dashboard: runs in the background (it outlives the request that
 * started it) and relays its progress to any number of listeners, so the page can show live
 * progress over server-sent events and re-attach after a reload.
 */
import type { Logger } from '../core/logger.ts';
import type { TrainingService } from '../core/training/index.ts';

/** One server-sent event of a run. */
export type TrainingEvent =
  | { readonly type: 'started'; readonly startedAt: string }
  | { readonly type: 'progress'; readonly phase: 'features'; readonly done: number; readonly total: number }
  | {
      readonly type: 'progress'; readonly phase: 'epoch'; readonly epoch: number; readonly epochs: number;
      readonly trainLoss: number; readonly valLoss: number; readonly valAccuracy: number;
    }
  | {
      readonly type: 'finished'; readonly status: 'success'; readonly runId: string; readonly headId: string; readonly valAccuracy: number;
      readonly promoted: boolean; readonly promotionReason: string; readonly classes: readonly string[];
    }
  | { readonly type: 'finished'; readonly status: 'skipped'; readonly runId: string; readonly reason: string }
  | { readonly type: 'failed'; readonly error: string };

/** Receives each event, then `end` once when the run is over. */
interface Listener {
  readonly event: (event: TrainingEvent) => void;
  readonly end: () => void;
}

export class TrainingRelay {
  private events: TrainingEvent[] = [];
  private running = false;
  private current: { readonly abort: AbortController; readonly done: Promise<void> } | undefined;
  private readonly listeners = new Set<Listener>();

  constructor(private readonly deps: { readonly training: Pick<TrainingService, 'startTraining' | 'isRunning'>; readonly logger: Logger }) {}

  /** True while a run started here (or anywhere else in this process) is in progress. */
  busy(): boolean {
    return this.running || this.deps.training.isRunning();
  }

  /** Starts a run in the background; false when one is already running. */
  start(): boolean {
    if (this.busy()) return false;
    this.running = true;
    this.events = [];
    this.emit({ type: 'started', startedAt: new Date().toISOString() });
    const abort = new AbortController();
    const done = this.deps.training
      .startTraining({
        trigger: 'web',
        signal: abort.signal,
        onFeatures: (done, total) => this.emitProgress({ type: 'progress', phase: 'features', done, total }),
        onEpoch: (m) => this.emitProgress({ type: 'progress', phase: 'epoch', epoch: m.epoch, epochs: m.epochs, trainLoss: m.trainLoss, valLoss: m.valLoss, valAccuracy: m.valAccuracy }),
      })
      .then((result) => {
        this.emit(result.status === 'success'
          ? { type: 'finished', status: 'success', runId: result.runId, headId: result.headId, valAccuracy: result.valAccuracy, promoted: result.promoted, promotionReason: result.promotionReason, classes: result.classes }
          : { type: 'finished', status: 'skipped', runId: result.runId, reason: result.reason });
      })
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        this.deps.logger.warn({ err: message }, 'training from the dashboard failed');
        this.emit({ type: 'failed', error: message });
      })
      .finally(() => {
        this.running = false;
        this.current = undefined;
        for (const listener of this.listeners) listener.end();
        this.listeners.clear();
      });
    this.current = { abort, done };
    return true;
  }

  /** Interrupts a run started here (shutdown) and waits until it has stopped; the run is recorded as failed. */
  async stop(): Promise<void> {
    const current = this.current;
    if (!current) return;
    current.abort.abort();
    await current.done;
  }

  /**
   * Replays what the current (or last) run reported so far, then passes on each new event until
   * the run ends, then calls `end`. Returns a function that stops listening.
   */
  subscribe(listener: Listener): () => void {
    for (const event of this.events) listener.event(event);
    if (!this.running) {
      listener.end();
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emitProgress(event: TrainingEvent): void {
    // Feature progress arrives per image; a late subscriber only needs the latest of each phase.
    const last = this.events.at(-1);
    if (last?.type === 'progress' && event.type === 'progress' && last.phase === event.phase && event.phase === 'features') this.events.pop();
    this.emit(event);
  }

  private emit(event: TrainingEvent): void {
    this.events.push(event);
    for (const listener of this.listeners) listener.event(event);
  }
}
