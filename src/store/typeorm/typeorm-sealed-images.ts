import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, MoreThan } from 'typeorm';
import { lockForWrite } from '../dialect.js';
import { SealedImages, type Resealed, type SealedImage } from '../sealed-images.js';
import { writeImage } from './image-rows.js';
import { ReferenceImageEntity } from './reference-image.entity.js';
import { runTransaction } from '../transactions.js';

@Injectable()
export class TypeOrmSealedImages extends SealedImages {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async idsAfter(after: number, limit: number): Promise<number[]> {
    const rows = await this.dataSource.getRepository(ReferenceImageEntity).find({
      select: { referenceId: true },
      where: { referenceId: MoreThan(after) },
      order: { referenceId: 'ASC' },
      take: limit,
    });
    return rows.map(({ referenceId }) => referenceId);
  }

  /** Locked on MySQL/MariaDB while it is rewritten; on SQLite, `runTransaction` takes turns. */
  reseal<T>(referenceId: number, reseal: (image: SealedImage) => Resealed<T>): Promise<T | null> {
    return runTransaction(this.dataSource, async (manager) => {
      const query = manager
        .getRepository(ReferenceImageEntity)
        .createQueryBuilder('image')
        .innerJoin('image.reference', 'reference')
        .select(['image.bytes AS bytes', 'reference.key AS refKey'])
        .where('image.referenceId = :referenceId', { referenceId });
      const row = await lockForWrite(query).getRawOne<{ bytes: Buffer; refKey: string }>();
      if (!row) return null;
      const { bytes, outcome } = reseal({ bytes: row.bytes, referenceKey: row.refKey });
      if (bytes) await writeImage(manager, 'update', referenceId, bytes);
      return outcome;
    });
  }
}
