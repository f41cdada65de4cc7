/** A number of requests a client may make in any window of `windowMs`. */
export interface Budget {
  name: string;
  limit: number;
  windowMs: number;
}

/** What a request found in one budget it was admitted to. */
export interface BudgetState {
  budget: Budget;
  /** Requests left in the window, this one spent. */
  remaining: number;
  /** Seconds until the oldest request in the window leaves it. */
  resetSeconds: number;
}

export type Spending =
  | { admitted: true; states: BudgetState[] }
  | { admitted: false; refusedBy: Budget[]; retryAfterSeconds: number };

/** Beyond this many client budgets tracked, idle ones are swept before a new one is added. */
const SWEEP_ABOVE = 10_000;

/** A client's requests in one budget that are still in its window, oldest first. */
class Window {
  private times: number[] = [];
  private head = 0;

  constructor(readonly ms: number) {}

  get count(): number {
    return this.times.length - this.head;
  }

  /** The `index`-th oldest request still in the window. */
  at(index: number): number {
    return this.times[this.head + index];
  }

  add(time: number): void {
    this.times.push(time);
  }

  /** Forgets the requests that have left the window by `now`. */
  slide(now: number): void {
    while (this.head < this.times.length && this.times[this.head] <= now - this.ms) this.head++;
    // Drops the expired front once it is half the array: each time is copied O(1) times.
    if (this.head > 32 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * Sliding-window request budgets per client. A request spends one from every budget that applies
 * to it or, when any of them is used up, from none: a request refused by one budget costs the
 * client nothing in the others (nor in the one that refused it).
 */
export class RateBudgets {
  private readonly windows = new Map<string, Window>();

  /** Admits and counts the request in every budget, or refuses it and counts it nowhere. */
  spend(client: string, budgets: Budget[], now = Date.now()): Spending {
    const found = budgets.map((budget) => ({ budget, window: this.windowOf(budget, client, now) }));
    const refused = found.filter(({ budget, window }) => window.count >= budget.limit);
    if (refused.length > 0) {
      // A request fits once the oldest of the last `limit` has left the window, in every budget.
      const retryAfterMs = Math.max(
        ...refused.map(
          ({ budget, window }) => window.at(window.count - budget.limit) + window.ms - now,
        ),
      );
      return {
        admitted: false,
        refusedBy: refused.map(({ budget }) => budget),
        retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
      };
    }
    return {
      admitted: true,
      states: found.map(({ budget, window }) => {
        window.add(now);
        return {
          budget,
          remaining: budget.limit - window.count,
          resetSeconds: Math.ceil((window.at(0) + window.ms - now) / 1000),
        };
      }),
    };
  }

  private windowOf(budget: Budget, client: string, now: number): Window {
    const key = `${budget.name}:${client}`;
    let window = this.windows.get(key);
    if (!window) {
      if (this.windows.size >= SWEEP_ABOVE) this.sweep(now);
      window = new Window(budget.windowMs);
      this.windows.set(key, window);
    }
    window.slide(now);
    return window;
  }

  /** Forgets the clients none of whose requests are still in their windows. */
  private sweep(now: number): void {
    for (const [key, window] of this.windows) {
      window.slide(now);
      if (window.count === 0) this.windows.delete(key);
    }
  }
}
