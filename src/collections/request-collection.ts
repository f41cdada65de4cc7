import type { Request } from 'express';
import { requestKey } from '../auth/key-identity.js';
import { CollectionNotAllowedError, InvalidCollectionNameError } from '../common/errors.js';
import { DEFAULT_COLLECTION, isCollectionName } from './collection-name.js';

/** The header an admin key (or any request with API_KEYS unset) names its collection in. */
export const COLLECTION_HEADER = 'x-collection';

/**
 * The collection a request works on: its key's, when the key is bound to one; else the one
 * X-Collection names, `default` when it names none. With API_KEYS unset a request has no key and
 * acts as an admin's would. Throws CollectionNotAllowedError (403) for a bound key naming another
 * collection, before anything is looked up, and InvalidCollectionNameError (400) for a header no
 * collection could be named; whether the collection exists is the CollectionGuard's question.
 */
export function requestCollection(request: Request): string {
  const named = namedCollection(request);
  const bound = requestKey(request)?.collection ?? null;
  if (bound !== null) {
    if (named !== undefined && named !== bound) throw new CollectionNotAllowedError(named);
    return bound;
  }
  return named ?? DEFAULT_COLLECTION;
}

/** The X-Collection header, checked; undefined when absent. */
function namedCollection(request: Request): string | undefined {
  const header = request.headers[COLLECTION_HEADER];
  if (header === undefined) return undefined;
  // Node joins a repeated header with ", ", which no name contains: two collections are none.
  if (typeof header !== 'string' || !isCollectionName(header)) {
    throw new InvalidCollectionNameError();
  }
  return header;
}

const RESOLVED = Symbol('facegate.collection');
type WithCollection = Request & { [RESOLVED]?: string };

/** Set by the CollectionGuard once the request's collection is known to exist. */
export function setResolvedCollection(request: Request, collection: string): void {
  (request as WithCollection)[RESOLVED] = collection;
}

/** The collection the CollectionGuard resolved; undefined on a route it does not guard. */
export function resolvedCollection(request: Request): string | undefined {
  return (request as WithCollection)[RESOLVED];
}

/**
 * The collection an audit entry names, whatever happened to the request: the one resolved, else
 * the one a collections route names in its path, else the key's, else a well-formed
 * X-Collection, else `default` (a refused request may have got no further than its key).
 */
export function collectionForAudit(request: Request): string {
  const resolved = resolvedCollection(request);
  if (resolved !== undefined) return resolved;
  const inPath = (request.params as Record<string, string | undefined> | undefined)?.collection;
  if (inPath !== undefined && isCollectionName(inPath)) return inPath;
  const bound = requestKey(request)?.collection ?? null;
  if (bound !== null) return bound;
  const header = request.headers[COLLECTION_HEADER];
  return typeof header === 'string' && isCollectionName(header) ? header : DEFAULT_COLLECTION;
}
