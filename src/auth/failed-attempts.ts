import { Injectable } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config.js';

const MINUTE_MS = 60_000;
/** Beyond this many addresses tracked, expired entries are swept before a new one is added. */
const SWEEP_ABOVE = 10_000;

interface Attempts {
  failures: number;
  /** When the count starts again; while blocked, a minute after the failure that blocked. */
  resetAt: number;
}

/**
 * Failed API key checks per client address (AUTH_FAILURES_PER_MINUTE): past the limit, the
 * address's wrong keys get 429 for a minute (a valid key still passes; see ApiKeyGuard).
 */
@Injectable()
export class FailedAttempts {
  private readonly limit: number;
  private readonly attempts = new Map<string, Attempts>();

  constructor(config: AppConfig) {
    this.limit = config.env.AUTH_FAILURES_PER_MINUTE;
  }

  /** Seconds until `address` may try again; 0 when it may now. */
  blockedFor(address: string, now = Date.now()): number {
    if (this.limit === 0) return 0;
    const entry = this.attempts.get(normalizeIp(address));
    if (!entry || entry.resetAt <= now || entry.failures < this.limit) return 0;
    return Math.ceil((entry.resetAt - now) / 1000);
  }

  record(address: string, now = Date.now()): void {
    if (this.limit === 0) return;
    const key = normalizeIp(address);
    let entry = this.attempts.get(key);
    if (!entry || entry.resetAt <= now) {
      if (this.attempts.size >= SWEEP_ABOVE) this.sweep(now);
      entry = { failures: 0, resetAt: now + MINUTE_MS };
      this.attempts.set(key, entry);
    }
    entry.failures++;
    if (entry.failures >= this.limit) entry.resetAt = now + MINUTE_MS;
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.attempts) if (entry.resetAt <= now) this.attempts.delete(key);
  }
}
