import { Injectable } from '@nestjs/common';
import { describeCause } from '../common/errors.js';
import { envelopeKeyId, ImageCipher } from './image-cipher.js';
import { SealedImages } from './sealed-images.js';

export interface ReencryptCounts {
  /** Rows looked at. */
  scanned: number;
  /** Sealed with a previous key, now with the current one. */
  rotated: number;
  /** Plaintext, now sealed. */
  encrypted: number;
  /** Sealed with the current key in format 1, not bound to its reference: now format 2. */
  bound: number;
  /** Already sealed with the current key: left alone. */
  current: number;
  /** Could not be opened (key not configured, or corrupt): left alone. */
  failed: number;
}

type Outcome = Exclude<keyof ReencryptCounts, 'scanned'>;

/**
 * Seals every stored image with the current ENCRYPTION_KEY in the current envelope format, after
 * a key rotation, an upgrade from format 1, or when encryption is turned on for a store that
 * already holds plaintext images (those are sealed whatever ENCRYPTION_ALLOW_PLAINTEXT says).
 */
@Injectable()
export class ReencryptService {
  constructor(
    private readonly images: SealedImages,
    private readonly cipher: ImageCipher,
  ) {}

  /** The id of the key images are sealed with; null when ENCRYPTION_KEY is unset. */
  get currentKeyId(): string | null {
    return this.cipher.currentKeyId;
  }

  /**
   * Rewrites every image row with the current key, `batchSize` ids at a time, each row in a
   * write transaction of its own that holds the row (`SealedImages.reseal`). Running it twice changes
   * nothing the second time; uploads and deletes may go on meanwhile.
   */
  async reencrypt({
    batchSize = 100,
    log = () => {},
  }: { batchSize?: number; log?: (line: string) => void } = {}): Promise<ReencryptCounts> {
    const counts: ReencryptCounts = {
      scanned: 0,
      rotated: 0,
      encrypted: 0,
      bound: 0,
      current: 0,
      failed: 0,
    };
    let after = 0;
    for (;;) {
      const batch = await this.images.idsAfter(after, batchSize);
      if (batch.length === 0) break;
      for (const referenceId of batch) {
        const outcome = await this.reseal(referenceId, log);
        if (outcome === null) continue;
        counts.scanned++;
        counts[outcome]++;
      }
      after = batch[batch.length - 1];
      log(`${counts.scanned} images so far`);
    }
    return counts;
  }

  /** What became of one row; null when it was deleted meanwhile. */
  private reseal(referenceId: number, log: (line: string) => void): Promise<Outcome | null> {
    return this.images.reseal<Outcome>(referenceId, ({ bytes, referenceKey }) => {
      if (this.cipher.isCurrent(bytes)) return { bytes: null, outcome: 'current' };
      const keyId = envelopeKeyId(bytes);
      let plain: Buffer;
      try {
        plain = keyId === null ? bytes : this.cipher.open(bytes, referenceKey);
      } catch (error) {
        log(`reference image ${referenceId}: ${describeCause(error)}; left as it is`);
        return { bytes: null, outcome: 'failed' };
      }
      const sealed = this.cipher.seal(plain, referenceKey);
      if (keyId === null) return { bytes: sealed, outcome: 'encrypted' };
      return { bytes: sealed, outcome: keyId === this.cipher.currentKeyId ? 'bound' : 'rotated' };
    });
  }
}
