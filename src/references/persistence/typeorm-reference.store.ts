import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  ReferenceStore,
  type NewReference,
  type ReferenceListItem,
  type ReferenceMetadata,
  type StoredEmbedding,
  type StoredImage,
} from '../reference-store.js';
import { ReferenceImageEntity } from './reference-image.entity.js';
import { ReferenceEntity } from './reference.entity.js';

export function embeddingToBytes(embedding: Float32Array): Buffer {
  const bytes = Buffer.alloc(embedding.length * 4);
  embedding.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
  return bytes;
}

export function embeddingFromBytes(bytes: Buffer): Float32Array {
  const embedding = new Float32Array(bytes.length / 4);
  for (let index = 0; index < embedding.length; index++)
    embedding[index] = bytes.readFloatLE(index * 4);
  return embedding;
}

@Injectable()
export class TypeOrmReferenceStore extends ReferenceStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async insert(reference: NewReference): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const row = await manager.getRepository(ReferenceEntity).save({
        key: reference.key,
        filename: reference.filename,
        contentType: reference.contentType,
        sizeBytes: reference.image.length,
        embedding: embeddingToBytes(reference.embedding),
        boxX: reference.box.x,
        boxY: reference.box.y,
        boxWidth: reference.box.width,
        boxHeight: reference.box.height,
        model: reference.model,
        createdAt: new Date(),
      });
      await manager.getRepository(ReferenceImageEntity).insert({
        referenceId: row.id,
        bytes: reference.image,
      });
    });
  }

  async findEmbedding(key: string): Promise<StoredEmbedding | null> {
    const row = await this.dataSource.getRepository(ReferenceEntity).findOne({
      select: {
        key: true,
        embedding: true,
        boxX: true,
        boxY: true,
        boxWidth: true,
        boxHeight: true,
        model: true,
      },
      where: { key },
    });
    if (!row) return null;
    return {
      key: row.key,
      embedding: embeddingFromBytes(row.embedding),
      box: { x: row.boxX, y: row.boxY, width: row.boxWidth, height: row.boxHeight },
      model: row.model,
    };
  }

  async findMetadata(key: string): Promise<ReferenceMetadata | null> {
    const row = await this.dataSource.getRepository(ReferenceEntity).findOne({
      select: {
        key: true,
        filename: true,
        contentType: true,
        sizeBytes: true,
        boxX: true,
        boxY: true,
        boxWidth: true,
        boxHeight: true,
        model: true,
        createdAt: true,
      },
      where: { key },
    });
    if (!row) return null;
    return {
      key: row.key,
      filename: row.filename,
      contentType: row.contentType,
      sizeBytes: row.sizeBytes,
      box: { x: row.boxX, y: row.boxY, width: row.boxWidth, height: row.boxHeight },
      model: row.model,
      createdAt: row.createdAt,
    };
  }

  async readImage(key: string): Promise<StoredImage | null> {
    const row = await this.dataSource
      .getRepository(ReferenceImageEntity)
      .createQueryBuilder('image')
      .innerJoin('image.reference', 'reference')
      .select([
        'image.bytes AS bytes',
        'reference.contentType AS contentType',
        'reference.filename AS filename',
      ])
      .where('reference.key = :key', { key })
      .getRawOne<{ bytes: Buffer; contentType: string; filename: string }>();
    return row ? { bytes: row.bytes, contentType: row.contentType, filename: row.filename } : null;
  }

  /** Raw rows, not entities: hydrating 10,000 entities cost several times the query itself. */
  async list(): Promise<ReferenceListItem[]> {
    return this.dataSource
      .getRepository(ReferenceEntity)
      .createQueryBuilder('reference')
      .select('reference.key', 'key')
      .addSelect('reference.filename', 'filename')
      .orderBy('reference.id', 'ASC')
      .getRawMany<ReferenceListItem>();
  }

  async delete(key: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const row = await manager
        .getRepository(ReferenceEntity)
        .findOne({ select: { id: true }, where: { key } });
      if (!row) return false;
      // Explicit rather than relying on ON DELETE CASCADE, which SQLite honours only per connection.
      await manager.getRepository(ReferenceImageEntity).delete({ referenceId: row.id });
      await manager.getRepository(ReferenceEntity).delete({ id: row.id });
      return true;
    });
  }
}
