import {
  EngineBusyError,
  EngineQueueTimeoutError,
  EngineWorkerFailedError,
  InferenceTimeoutError,
} from '../common/errors.js';
import { TIMED_OUT, within } from '../common/within.js';
import { AnalysisControl } from './analysis-control.js';
import type { EngineLoad } from './engine-status.js';
import { SlotWaitTimeoutError, WorkerSlots } from './worker-slots.js';

export interface AdmissionLimits {
  /** Analyses on the pool at once: one per worker. */
  workers: number;
  /** Analyses that may wait for a worker beyond those; more are refused at once. */
  queueLimit: number;
  /** How long one may wait for a worker. */
  queueTimeoutMs: number;
  /** How long one may run on a worker, counted from when it got one. */
  timeoutMs: number;
  /** A timed-out analysis is cancelled at its next net; its thread is terminated after this long. */
  stopGraceMs: number;
}

/**
 * Starts one analysis on a free worker: what admission needs of the pool. `signal` aborts the
 * task, terminating its thread (the pool replaces it).
 */
export type StartOnWorker<T> = (control: AnalysisControl, signal: AbortSignal) => Promise<T>;

interface AdmissionLogger {
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Everything about an analysis but the analysis itself: refusing work beyond the queue limit,
 * waiting a bounded time for a worker slot, the inference timeout, and cancelling (then, if need
 * be, terminating) an analysis whose client was already answered. The engine hands it a function
 * that starts the work on the pool; a fake pool does in the unit spec.
 */
export class AnalysisAdmission {
  /** Analyses running or waiting for a worker. */
  private inFlight = 0;
  /** One per worker: an analysis is handed to the pool only when a worker is free for it. */
  private readonly slots: WorkerSlots;
  /** The analyses on a worker right now, cancelled or not. */
  private readonly running = new Set<AnalysisControl>();

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly logger: AdmissionLogger,
  ) {
    this.slots = new WorkerSlots(limits.workers);
  }

  /** Analyses running or waiting for a worker right now. */
  get pending(): number {
    return this.inFlight;
  }

  get load(): EngineLoad {
    const queued = this.slots.queued;
    return { queued, running: this.inFlight - queued };
  }

  /**
   * Runs `start` once a worker slot is free, and answers with its result or the engine's error:
   * `EngineBusyError` (queue full), `EngineQueueTimeoutError`, `InferenceTimeoutError`,
   * `EngineWorkerFailedError` (the thread died, or the analysis was stopped from outside).
   */
  async run<T>(start: StartOnWorker<T>): Promise<T> {
    const { workers, queueLimit, queueTimeoutMs, timeoutMs } = this.limits;
    // Counted here rather than with Piscina's maxQueue, which did not refuse work in our tests.
    if (this.inFlight >= workers + queueLimit) throw new EngineBusyError();
    this.inFlight++;
    let release: () => void;
    try {
      release = await this.slots.acquire(queueTimeoutMs);
    } catch (error) {
      this.inFlight--;
      if (error instanceof SlotWaitTimeoutError) throw new EngineQueueTimeoutError(error.waitedMs);
      throw error;
    }
    const control = new AnalysisControl();
    const abort = new AbortController();
    const task = start(control, abort.signal);
    // The worker and its slot stay taken until the analysis has really ended, even when its
    // client was answered earlier (a timeout): the queue sees the capacity there is.
    this.running.add(control);
    const ended = task.then(
      () => undefined,
      () => undefined,
    );
    void ended.then(() => {
      this.running.delete(control);
      release();
      this.inFlight--;
    });
    let result: T | typeof TIMED_OUT;
    try {
      // The timeout starts once a worker is free: time spent queued is not the image's fault.
      result = await within(task, timeoutMs);
    } catch (error) {
      if (isWorkerDeath(error)) {
        this.logger.error(
          `Face engine worker died during an analysis (${String(error)}); the pool replaces it`,
        );
        throw new EngineWorkerFailedError(error);
      }
      // Stopped from outside (a shutdown that could not wait): it ended without its answer.
      if (control.cancelled) throw new EngineWorkerFailedError(error);
      throw error;
    }
    if (result === TIMED_OUT) {
      void this.stopAnalysis(control, abort, ended);
      throw new InferenceTimeoutError(timeoutMs);
    }
    return result;
  }

  /**
   * Stops every analysis on a worker at its next net. Terminating a thread inside an onnxruntime
   * net aborts the process, so a shutdown waits for this before it destroys the pool.
   */
  async stopAll(): Promise<void> {
    await Promise.all([...this.running].map((control) => control.stop()));
  }

  /**
   * Ends an analysis whose client was answered with a timeout: it is cancelled at its next net,
   * and its thread terminated (and replaced by the pool) only if it does not get there within
   * stopGraceMs, once it is safely outside the nets.
   */
  private async stopAnalysis(
    control: AnalysisControl,
    abort: AbortController,
    ended: Promise<void>,
  ): Promise<void> {
    control.cancel();
    if ((await within(ended, this.limits.stopGraceMs)) !== TIMED_OUT) return;
    this.logger.warn(
      `A timed-out analysis did not reach its next net within ${this.limits.stopGraceMs} ms; ` +
        'terminating its worker (the pool replaces it)',
    );
    await control.stop();
    abort.abort();
  }
}

/**
 * Whether a task failed because its thread died rather than because the task threw: Piscina
 * rejects the tasks of a thread that exits with "worker exited with code: N", and a thread over its
 * resource limits fails with ERR_WORKER_OUT_OF_MEMORY.
 */
function isWorkerDeath(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    /^worker exited with code/.test(error.message) ||
    (error as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY'
  );
}
