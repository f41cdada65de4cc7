import type { Request } from 'express';
import { createHash } from 'node:crypto';
import type { KeyIdentity } from '../audit/audit-store.js';
import { SCOPES, type Scope } from './scopes.js';

/** The key a request was let in with: who it is, where it works and what it may do. */
export interface RequestKey extends KeyIdentity {
  /** The one collection the key works on; null for a key that may name any (an admin key). */
  collection: string | null;
  scopes: readonly Scope[];
}

/**
 * A key of API_KEYS: named in the audit trail by the first 12 hex of its SHA-256 (stable across
 * restarts and replicas, useless to a thief) and its place in the list; an admin key of every
 * collection.
 */
export function keyIdentity(key: string, index: number): RequestKey {
  return {
    id: createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 12),
    name: `api-keys[${index}]`,
    collection: null,
    scopes: SCOPES,
  };
}

const IDENTITY = Symbol('facegate.apiKey');

type WithIdentity = Request & { [IDENTITY]?: RequestKey };

/** Set by the guard once the request's key matched. */
export function setRequestKey(request: Request, identity: RequestKey): void {
  (request as WithIdentity)[IDENTITY] = identity;
}

/** The key the request was let in with; null when API_KEYS is off or it was not let in. */
export function requestKey(request: Request): RequestKey | null {
  return (request as WithIdentity)[IDENTITY] ?? null;
}
