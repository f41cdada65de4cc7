import { createHash } from 'node:crypto';
import { InvalidIdempotencyKeyError } from '../common/errors.js';

/** Printable ASCII, space included (RFC draft-ietf-httpapi-idempotency-key-header leaves it open). */
const IDEMPOTENCY_KEY = /^[\x20-\x7E]{1,255}$/;

/** The Idempotency-Key header's value, checked; 400 when it is not 1-255 printable ASCII. */
export function parseIdempotencyKey(header: string | string[]): string {
  // Node joins repeated unknown headers with ", " but hands some as arrays: two keys are none.
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
    throw new InvalidIdempotencyKeyError();
  }
  return header;
}

/** A file of a multipart request, as far as it makes the request what it is. */
export interface RequestFile {
  field: string;
  filename: string;
  bytes: Buffer;
}

/** What a request asks for: two requests that agree on all of it are the same request. */
export interface RequestIdentity {
  method: string;
  /** The route's template, e.g. `/delete_reference/:key`. */
  route: string;
  params: Record<string, string>;
  query: Record<string, unknown>;
  /** The JSON body, or a multipart form's text fields. */
  body: unknown;
  files: RequestFile[];
}

/**
 * SHA-256 of the request, hex. Objects are hashed with their keys sorted, so that the order a
 * client's form library writes fields in does not make a retry a different request; a file counts
 * by its field, its name and its bytes' own SHA-256.
 */
export function fingerprint(request: RequestIdentity): string {
  const files = [...request.files]
    .sort((a, b) => compare(a.field, b.field) || compare(a.filename, b.filename))
    .map(({ field, filename, bytes }) => [
      field,
      filename,
      createHash('sha256').update(bytes).digest('hex'),
    ]);
  const canonical = canonicalJson([
    request.method.toUpperCase(),
    request.route,
    request.params,
    request.query,
    request.body ?? null,
    files,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** The scope a key lives in: the SHA-256 of the API key (hex), never the key; '' without keys. */
export function scopeOf(apiKey: string | undefined): string {
  return apiKey === undefined ? '' : createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** JSON with every object's keys in one order; undefined members dropped, as JSON does. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => compare(a, b));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
