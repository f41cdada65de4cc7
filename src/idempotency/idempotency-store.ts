import type { EntityManager } from 'typeorm';

/** Which key, of which client, for which request. */
export interface IdempotentRequestKey {
  /** `scopeOf` the API key. */
  scope: string;
  /** The request's collection: the same key replays only there. */
  collection: string;
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
  | { outcome: 'in-progress'; retryAfterSeconds: number }
  | { outcome: 'answer-lost' };

/** Port for the idempotency keys; `TypeOrmIdempotencyStore` is the adapter. */
export abstract class IdempotencyStore {
  /**
   * Takes the key for this request until `leaseUntil`, unless it is taken: by the same request,
   * answered or still in progress, or by another request. A key past its expiry counts as free,
   * and so does one whose holder's lease ran out before its write (its process died); one whose
   * write committed but whose answer never followed is `answer-lost`.
   */
  abstract claim(request: IdempotentRequestKey, now: Date): Promise<Claim>;
  /**
   * Records the answer inside `manager`'s transaction, the write's own, or with `null` that the
   * write committed and its answer will follow; throws, rolling the write back, when the key is no
   * longer held by this request.
   */
  abstract answerWithin(
    manager: EntityManager,
    key: HeldKey,
    answer: StoredAnswer | null,
  ): Promise<void>;
  /** Records the answer after the request's write committed, or of a request that wrote nothing. */
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
