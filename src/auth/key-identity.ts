import type { Request } from 'express';
import { createHash } from 'node:crypto';
import type { KeyIdentity } from '../audit/audit-store.js';

/**
 * A key of API_KEYS as the audit trail names it: the first 12 hex of its SHA-256 (stable across
 * restarts and replicas, useless to a thief) and its place in the list.
 */
export function keyIdentity(key: string, index: number): KeyIdentity {
  return {
    id: createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 12),
    name: `api-keys[${index}]`,
  };
}

const IDENTITY = Symbol('facegate.apiKey');

type WithIdentity = Request & { [IDENTITY]?: KeyIdentity };

/** Set by the guard once the request's key matched. */
export function setRequestKey(request: Request, identity: KeyIdentity): void {
  (request as WithIdentity)[IDENTITY] = identity;
}

/** The key the request was let in with; null when API_KEYS is off or it was not let in. */
export function requestKey(request: Request): KeyIdentity | null {
  return (request as WithIdentity)[IDENTITY] ?? null;
}
