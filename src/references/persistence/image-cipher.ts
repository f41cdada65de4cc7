import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { EncryptionKeyNotConfiguredError, StoredImageCorruptError } from '../../common/errors.js';

/**
 * Envelope of an encrypted image: MAGIC (5 bytes, version included) | key id (4) | IV (12) |
 * GCM tag (16) | ciphertext. No JPEG (FF D8) or PNG (89 50) starts with MAGIC, so a row without it
 * is a plaintext image written before encryption was turned on.
 */
const MAGIC = Buffer.from('FGE\x00\x01', 'latin1');
const KEY_ID_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + KEY_ID_BYTES;
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
}

/**
 * AES-256-GCM for image bytes at rest. `seal` writes with the current key; `open` reads envelopes
 * of the current or any previous key, and plaintext rows as they are.
 */
export class ImageCipher {
  private readonly current: { id: string; key: Buffer } | null;
  private readonly readable = new Map<string, Buffer>();

  constructor(keys: ImageCipherKeys) {
    this.current = keys.current ? { id: keyIdOf(keys.current), key: keys.current } : null;
    for (const key of [...keys.previous, ...(keys.current ? [keys.current] : [])]) {
      this.readable.set(keyIdOf(key), key);
    }
  }

  /** Builds the cipher from the validated ENCRYPTION_KEY and ENCRYPTION_PREVIOUS_KEYS. */
  static fromSettings(current: string | undefined, previous: string | undefined): ImageCipher {
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

  seal(plain: Buffer): Buffer {
    if (!this.current) return plain;
    const header = Buffer.concat([MAGIC, Buffer.from(this.current.id, 'hex')]);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    // The header is authenticated too: a row cannot be relabelled with another key id.
    cipher.setAAD(header);
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([header, iv, cipher.getAuthTag(), ciphertext]);
  }

  open(stored: Buffer): Buffer {
    const keyId = envelopeKeyId(stored);
    if (keyId === null) return stored;
    const key = this.readable.get(keyId);
    if (!key) throw new EncryptionKeyNotConfiguredError(keyId);
    if (stored.length < ENVELOPE_OVERHEAD) throw new StoredImageCorruptError(keyId);
    const ivStart = HEADER_BYTES;
    const tagStart = ivStart + IV_BYTES;
    const decipher = createDecipheriv('aes-256-gcm', key, stored.subarray(ivStart, tagStart));
    decipher.setAAD(stored.subarray(0, HEADER_BYTES));
    decipher.setAuthTag(stored.subarray(tagStart, ENVELOPE_OVERHEAD));
    try {
      return Buffer.concat([decipher.update(stored.subarray(ENVELOPE_OVERHEAD)), decipher.final()]);
    } catch {
      throw new StoredImageCorruptError(keyId);
    }
  }

  /** Whether `stored` is already an envelope of the current key (plaintext is not, when a key is set). */
  isCurrent(stored: Buffer): boolean {
    return envelopeKeyId(stored) === this.currentKeyId;
  }
}

/** The key id of an envelope, or null for plaintext bytes. */
export function envelopeKeyId(stored: Buffer): string | null {
  if (stored.length < HEADER_BYTES || !stored.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  return stored.subarray(MAGIC.length, HEADER_BYTES).toString('hex');
}

/** The prefix every envelope starts with. */
export const ENVELOPE_MAGIC: Readonly<Buffer> = MAGIC;
