import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { EncryptionKeyNotConfiguredError, StoredImageCorruptError } from '../common/errors.js';

/**
 * Envelope of an encrypted image: MAGIC (5 bytes: "FGE", a zero byte, the format) | key id (4) |
 * IV (12) | GCM tag (16) | ciphertext. No JPEG (FF D8) or PNG (89 50) starts with "FGE\0", so a
 * row without it is a plaintext image written before encryption was turned on.
 *
 * Format 2 authenticates the header and the reference key, so an envelope copied into another
 * reference's row fails to open. Format 1 (before it) authenticated the header alone; such rows
 * still open, and the reencrypt command rewrites them as format 2.
 */
const MAGIC_PREFIX = Buffer.from('FGE\x00', 'latin1');
const FORMAT_UNBOUND = 1;
const FORMAT_BOUND = 2;
const MAGIC_BYTES = MAGIC_PREFIX.length + 1;
const MAGIC = Buffer.concat([MAGIC_PREFIX, Buffer.from([FORMAT_BOUND])]);
const KEY_ID_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC_BYTES + KEY_ID_BYTES;
const ENVELOPE_OVERHEAD = HEADER_BYTES + IV_BYTES + TAG_BYTES;

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=?$/;

/** A 256-bit key from its text form (64 hex characters or 32 bytes in base64); null if neither. */
export function parseEncryptionKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (HEX_KEY.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (BASE64_KEY.test(trimmed)) {
    const key = Buffer.from(trimmed, 'base64');
    return key.length === 32 ? key : null;
  }
  return null;
}

/** A short, public name for a key: enough to tell keys apart in a row and in a log, no more. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256')
    .update('facegate image key id\0')
    .update(key)
    .digest()
    .subarray(0, KEY_ID_BYTES)
    .toString('hex');
}

export interface ImageCipherKeys {
  /** Seals new images; null leaves them in plaintext. */
  current: Buffer | null;
  /** Keys that still open older envelopes (rotation). */
  previous: Buffer[];
  /**
   * With a current key, whether a row without an envelope is served as it is. Off, such a row
   * fails its integrity check: bytes written around the service would be served as genuine.
   * On while a store that held plaintext is being sealed (ENCRYPTION_ALLOW_PLAINTEXT).
   */
  allowPlaintext?: boolean;
}

/**
 * AES-256-GCM for image bytes at rest, each envelope bound to its reference key. `seal` writes
 * with the current key; `open` reads envelopes of the current or any previous key, and plaintext
 * rows when no key is current or `allowPlaintext` says so.
 */
export class ImageCipher {
  private readonly current: { id: string; key: Buffer } | null;
  private readonly readable = new Map<string, Buffer>();
  private readonly allowPlaintext: boolean;

  constructor(keys: ImageCipherKeys) {
    this.current = keys.current ? { id: keyIdOf(keys.current), key: keys.current } : null;
    for (const key of [...keys.previous, ...(keys.current ? [keys.current] : [])]) {
      this.readable.set(keyIdOf(key), key);
    }
    this.allowPlaintext = !this.current || (keys.allowPlaintext ?? false);
  }

  /**
   * Builds the cipher from the validated ENCRYPTION_KEY, ENCRYPTION_PREVIOUS_KEYS and
   * ENCRYPTION_ALLOW_PLAINTEXT.
   */
  static fromSettings(
    current: string | undefined,
    previous: string | undefined,
    { allowPlaintext = false }: { allowPlaintext?: boolean } = {},
  ): ImageCipher {
    const parse = (text: string): Buffer => {
      const key = parseEncryptionKey(text);
      if (!key) throw new Error('Encryption key is not 32 bytes in base64 or 64 hex characters');
      return key;
    };
    return new ImageCipher({
      current: current ? parse(current) : null,
      previous: (previous ?? '')
        .split(',')
        .filter((text) => text.trim() !== '')
        .map(parse),
      allowPlaintext,
    });
  }

  /** Id of the key that seals new images; null when encryption at rest is off. */
  get currentKeyId(): string | null {
    return this.current?.id ?? null;
  }

  /** Ids of every key that can open an envelope, the current one included. */
  get readableKeyIds(): string[] {
    return [...this.readable.keys()];
  }

  /** Seals the image of the reference `referenceKey`; only that reference's row opens it. */
  seal(plain: Buffer, referenceKey: string): Buffer {
    if (!this.current) return plain;
    const header = Buffer.concat([MAGIC, Buffer.from(this.current.id, 'hex')]);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    // The header is authenticated too: a row cannot be relabelled with another key id.
    cipher.setAAD(associatedData(header, FORMAT_BOUND, referenceKey));
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([header, iv, cipher.getAuthTag(), ciphertext]);
  }

  /** The image stored in the row of reference `referenceKey`. */
  open(stored: Buffer, referenceKey: string): Buffer {
    const format = envelopeFormat(stored);
    if (format === null) {
      if (this.allowPlaintext) return stored;
      throw new StoredImageCorruptError(null, 'stored unencrypted while ENCRYPTION_KEY is set');
    }
    const keyId = stored.subarray(MAGIC_BYTES, HEADER_BYTES).toString('hex');
    const key = this.readable.get(keyId);
    if (!key) throw new EncryptionKeyNotConfiguredError(keyId);
    if (
      stored.length < ENVELOPE_OVERHEAD ||
      (format !== FORMAT_UNBOUND && format !== FORMAT_BOUND)
    ) {
      throw new StoredImageCorruptError(keyId, 'not a whole envelope of a known format');
    }
    const ivStart = HEADER_BYTES;
    const tagStart = ivStart + IV_BYTES;
    const decipher = createDecipheriv('aes-256-gcm', key, stored.subarray(ivStart, tagStart));
    decipher.setAAD(associatedData(stored.subarray(0, HEADER_BYTES), format, referenceKey));
    decipher.setAuthTag(stored.subarray(tagStart, ENVELOPE_OVERHEAD));
    try {
      return Buffer.concat([decipher.update(stored.subarray(ENVELOPE_OVERHEAD)), decipher.final()]);
    } catch {
      throw new StoredImageCorruptError(keyId, 'altered, or sealed for another reference');
    }
  }

  /**
   * Whether `stored` is already an envelope of the current key in the current format (plaintext
   * is not, when a key is set).
   */
  isCurrent(stored: Buffer): boolean {
    return envelopeFormat(stored) === FORMAT_BOUND && envelopeKeyId(stored) === this.currentKeyId;
  }
}

/** What an envelope of `format` authenticates besides its ciphertext. */
function associatedData(header: Buffer, format: number, referenceKey: string): Buffer {
  return format === FORMAT_UNBOUND
    ? header
    : Buffer.concat([header, Buffer.from(referenceKey, 'utf8')]);
}

/** The envelope format of `stored` (1 or 2, or a later one), or null for plaintext bytes. */
export function envelopeFormat(stored: Buffer): number | null {
  if (
    stored.length < HEADER_BYTES ||
    !stored.subarray(0, MAGIC_PREFIX.length).equals(MAGIC_PREFIX)
  ) {
    return null;
  }
  return stored[MAGIC_PREFIX.length];
}

/** The key id of an envelope, or null for plaintext bytes. */
export function envelopeKeyId(stored: Buffer): string | null {
  if (envelopeFormat(stored) === null) return null;
  return stored.subarray(MAGIC_BYTES, HEADER_BYTES).toString('hex');
}

/** The prefix every envelope of the current format starts with. */
export const ENVELOPE_MAGIC: Readonly<Buffer> = MAGIC;
