/** Thrown by `WorkerSlots.acquire` when no slot came free in time. */
export class SlotWaitTimeoutError extends Error {
  constructor(readonly waitedMs: number) {
    super(`No worker slot was free within ${waitedMs} ms`);
    this.name = 'SlotWaitTimeoutError';
  }
}

interface Waiter {
  grant(release: () => void): void;
}

/**
 * Admission to the worker pool: at most `slots` analyses are handed to the pool at once, so each
 * starts on a worker as soon as it is handed over, and its timeout measures the analysis alone.
 * The others wait here, first come first served, each for a bounded time.
 */
export class WorkerSlots {
  private free: number;
  private readonly waiting: Waiter[] = [];

  constructor(slots: number) {
    this.free = slots;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves with the function that gives the slot back, once one is free; rejects with
   * `SlotWaitTimeoutError` when none came free within `timeoutMs`.
   */
  acquire(timeoutMs: number): Promise<() => void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: (release) => {
          clearTimeout(timer);
          resolve(release);
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(new SlotWaitTimeoutError(timeoutMs));
      }, timeoutMs);
      this.waiting.push(waiter);
    });
  }

  /** Hands the slot to the next waiter, or frees it; a second call does nothing. */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant(this.releaser());
      else this.free++;
    };
  }
}
