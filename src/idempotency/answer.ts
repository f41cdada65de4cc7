import { AsyncLocalStorage } from 'node:async_hooks';

/** The answer the current idempotent request will give, if it is one. */
export interface PendingAnswer {
  body?: unknown;
}

export const pendingAnswers = new AsyncLocalStorage<PendingAnswer>();

/**
 * Names the answer of the idempotent request being handled, before the write that decides it
 * commits: the write records it in its own transaction. Does nothing outside an idempotent
 * request. Returns `body`.
 */
export function answerBeforeCommit<T>(body: T): T {
  const pending = pendingAnswers.getStore();
  if (pending) pending.body = body;
  return body;
}
