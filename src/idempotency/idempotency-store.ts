import type { EntityManager } from 'typeorm';

/** Which key, of which client, for which request. */
export interface IdempotentRequestKey {
  /** `scopeOf` the API key. */
  scope: string;
  key: string;
  fingerprint: string;
}

/** A key this request now holds: only it records the answer or releases the key. */
export interface HeldKey {
  id: number;
  holder: string;
}

/** The answer a retry gets again. */
export interface StoredAnswer {
  status: number;
  body: unknown;
}

export type Claim =
  | { outcome: 'held'; key: HeldKey }
  | { outcome: 'answered'; answer: StoredAnswer }
  | { outcome: 'other-request' }
  | { outcome: 'in-progress'; retryAfterSeconds: number };

/** Port for the idempotency keys; `TypeOrmIdempotencyStore` is the adapter. */
export abstract class IdempotencyStore {
  /**
   * Takes the key for this request until `leaseUntil`, unless it is taken: by the same request,
   * answered or still in progress, or by another request. A key past its expiry counts as free,
   * and so does one whose holder's lease ran out with no answer (its process died).
   */
  abstract claim(request: IdempotentRequestKey, now: Date): Promise<Claim>;
  /**
   * Records the answer inside `manager`'s transaction, the write's own; throws, rolling the write
   * back, when the key is no longer held by this request.
   */
  abstract answerWithin(manager: EntityManager, key: HeldKey, answer: StoredAnswer): Promise<void>;
  /** Records the answer of a request that wrote nothing, in a transaction of its own. */
  abstract answer(key: HeldKey, answer: StoredAnswer): Promise<void>;
  /** Frees a key whose request failed before anything was committed, so a retry runs afresh. */
  abstract release(key: HeldKey): Promise<void>;
  /** Deletes up to `limit` keys expired by `now`; how many. */
  abstract purgeExpired(now: Date, limit: number): Promise<number>;
}

/** The key was taken over by another request after this one's lease ran out. */
export class IdempotencyKeyLostError extends Error {
  constructor() {
    super('The Idempotency-Key was taken over by a retry after this request outlived its lease');
  }
}
