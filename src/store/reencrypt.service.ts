import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, MoreThan } from 'typeorm';
import { describeCause } from '../common/errors.js';
import { envelopeKeyId, ImageCipher } from './image-cipher.js';
import { writeImage } from './typeorm/image-rows.js';
import { ReferenceImageEntity } from './typeorm/reference-image.entity.js';
import { runTransaction } from './typeorm/transactions.js';

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

/**
 * Seals every stored image with the current ENCRYPTION_KEY in the current envelope format, after
 * a key rotation, an upgrade from format 1, or when encryption is turned on for a store that
 * already holds plaintext images (those are sealed whatever ENCRYPTION_ALLOW_PLAINTEXT says).
 */
@Injectable()
export class ReencryptService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: ImageCipher,
  ) {}

  /** The id of the key images are sealed with; null when ENCRYPTION_KEY is unset. */
  get currentKeyId(): string | null {
    return this.cipher.currentKeyId;
  }

  /**
   * Rewrites every image row with the current key, `batchSize` ids at a time, each row in a
   * transaction of its own (locked on MySQL while it is rewritten). Running it twice changes
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
      const batch = await this.dataSource.getRepository(ReferenceImageEntity).find({
        select: { referenceId: true },
        where: { referenceId: MoreThan(after) },
        order: { referenceId: 'ASC' },
        take: batchSize,
      });
      if (batch.length === 0) break;
      for (const { referenceId } of batch) {
        const outcome = await this.reseal(referenceId, log);
        if (outcome === null) continue;
        counts.scanned++;
        counts[outcome]++;
      }
      after = batch[batch.length - 1].referenceId;
      log(`${counts.scanned} images so far`);
    }
    return counts;
  }

  /** What became of one row; null when it was deleted meanwhile. */
  private reseal(
    referenceId: number,
    log: (line: string) => void,
  ): Promise<Exclude<keyof ReencryptCounts, 'scanned'> | null> {
    const lock = this.dataSource.options.type === 'mysql';
    return runTransaction(this.dataSource, async (manager) => {
      const query = manager
        .getRepository(ReferenceImageEntity)
        .createQueryBuilder('image')
        .innerJoin('image.reference', 'reference')
        .select(['image.bytes AS bytes', 'reference.key AS refKey'])
        .where('image.referenceId = :referenceId', { referenceId });
      const row = await (lock ? query.setLock('pessimistic_write') : query).getRawOne<{
        bytes: Buffer;
        refKey: string;
      }>();
      if (!row) return null;
      const { bytes, refKey } = row;
      if (this.cipher.isCurrent(bytes)) return 'current';
      const keyId = envelopeKeyId(bytes);
      let plain: Buffer;
      try {
        plain = keyId === null ? bytes : this.cipher.open(bytes, refKey);
      } catch (error) {
        log(`reference image ${referenceId}: ${describeCause(error)}; left as it is`);
        return 'failed';
      }
      await writeImage(manager, 'update', referenceId, this.cipher.seal(plain, refKey));
      if (keyId === null) return 'encrypted';
      return keyId === this.cipher.currentKeyId ? 'bound' : 'rotated';
    });
  }
}
