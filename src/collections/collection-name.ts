/** The collection requests work on when they name none, and which always exists. */
export const DEFAULT_COLLECTION = 'default';

/** The longest collection name, in characters (ASCII). */
export const COLLECTION_NAME_MAX_LENGTH = 64;

/**
 * 1 to 64 letters, digits, `_`, `.` and `-`, beginning with a letter or a digit: safe in a URL
 * path and a header as it is, never `.` or `..`, and ASCII, compared exactly (case-sensitive).
 */
export const COLLECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function isCollectionName(name: string): boolean {
  return COLLECTION_NAME.test(name);
}
