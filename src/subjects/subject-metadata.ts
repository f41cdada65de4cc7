import { InvalidSubjectMetadataError } from '../common/errors.js';
import { PRINTABLE_TEXT } from '../common/validation.js';

/** A person's key-value data: flat, each value a string, a number or a boolean. */
export type SubjectMetadata = Record<string, string | number | boolean>;

/** The most a person's metadata may take, serialised as JSON, in UTF-8 bytes. */
export const METADATA_MAX_BYTES = 4096;
/** The longest key, in characters (code points). */
export const METADATA_KEY_MAX_LENGTH = 100;

/**
 * The metadata of a `PUT /subjects/{subject}` body (`{"metadata": {...}}`), or
 * `InvalidSubjectMetadataError` naming the first field or key at fault. Flat on purpose: nested
 * values would be a document store, and a flat object is what a client can index and show.
 */
export function parseSubjectMetadata(body: unknown): SubjectMetadata {
  if (!isPlainObject(body)) {
    throw new InvalidSubjectMetadataError('Body must be a JSON object: {"metadata": {...}}');
  }
  for (const field of Object.keys(body)) {
    if (field !== 'metadata') {
      throw new InvalidSubjectMetadataError(`Unknown field '${field}'; this route takes metadata`);
    }
  }
  if (!('metadata' in body)) throw new InvalidSubjectMetadataError('Field required: metadata');
  const { metadata } = body;
  if (!isPlainObject(metadata)) {
    throw new InvalidSubjectMetadataError(
      `metadata must be an object of strings, numbers and booleans, not ${describe(metadata)}`,
    );
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (key === '' || [...key].length > METADATA_KEY_MAX_LENGTH || !PRINTABLE_TEXT.test(key)) {
      throw new InvalidSubjectMetadataError(
        `metadata key ${JSON.stringify(key)} must be printable text of 1 to ` +
          `${METADATA_KEY_MAX_LENGTH} characters`,
      );
    }
    const valid =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value));
    if (!valid) {
      throw new InvalidSubjectMetadataError(
        `metadata.${key} must be a string, a number or a boolean, not ${describe(value)}`,
      );
    }
  }
  const bytes = serialisedSize(metadata);
  if (bytes > METADATA_MAX_BYTES) {
    throw new InvalidSubjectMetadataError(
      `metadata is ${bytes} bytes as JSON; at most ${METADATA_MAX_BYTES} are kept`,
    );
  }
  // fromEntries defines each key as its own property: a "__proto__" key stays data.
  return Object.fromEntries(Object.entries(metadata)) as SubjectMetadata;
}

/** The size the limit counts: the object as JSON, in UTF-8 bytes. */
export function serialisedSize(metadata: object): number {
  return Buffer.byteLength(JSON.stringify(metadata), 'utf8');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a refused value is, in the words of JSON. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return 'a number JSON cannot hold';
  return typeof value === 'undefined' ? 'missing' : `a ${typeof value}`;
}
