import { createHash, randomBytes } from 'node:crypto';

/** What every secret begins with: a leaked one is recognisable (secret scanners, log reviews). */
export const SECRET_PREFIX = 'fg_';

/** 32 random bytes: guessing one is out of reach whatever the failed-attempt limit allows. */
export function newSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** 9 random bytes, 12 base64url characters: short enough to type, too many to collide. */
export function newKeyId(): string {
  return randomBytes(9).toString('base64url');
}

/** A key's id is 12 base64url characters. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{12}$/;

export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}
