import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, MoreThan } from 'typeorm';
import { describeCause } from '../../common/errors.js';
import { envelopeKeyId, ImageCipher } from './image-cipher.js';
import { ReferenceImageEntity } from './reference-image.entity.js';

export interface ReencryptCounts {
  /** Rows looked at. */
  scanned: number;
  /** Sealed with a previous key, now with the current one. */
  rotated: number;
  /** Plaintext, now sealed. */
  encrypted: number;
  /** Already sealed with the current key: left alone. */
  current: number;
  /** Could not be opened (key not configured, or corrupt): left alone. */
  failed: number;
}

/**
 * Seals every stored image with the current ENCRYPTION_KEY, after a key rotation or when
 * encryption is turned on for a store that already holds plaintext images.
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
    const counts: ReencryptCounts = { scanned: 0, rotated: 0, encrypted: 0, current: 0, failed: 0 };
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
    return this.dataSource.transaction(async (manager) => {
      const query = manager
        .getRepository(ReferenceImageEntity)
        .createQueryBuilder('image')
        .select(['image.referenceId', 'image.bytes'])
        .where('image.referenceId = :referenceId', { referenceId });
      const row = await (lock ? query.setLock('pessimistic_write') : query).getOne();
      if (!row) return null;
      if (this.cipher.isCurrent(row.bytes)) return 'current';
      const wasSealed = envelopeKeyId(row.bytes) !== null;
      let plain: Buffer;
      try {
        plain = this.cipher.open(row.bytes);
      } catch (error) {
        log(`reference image ${referenceId}: ${describeCause(error)}; left as it is`);
        return 'failed';
      }
      await manager
        .getRepository(ReferenceImageEntity)
        .update({ referenceId }, { bytes: this.cipher.seal(plain) });
      return wasSealed ? 'rotated' : 'encrypted';
    });
  }
}
