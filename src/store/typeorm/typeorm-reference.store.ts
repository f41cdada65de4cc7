import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource, MoreThan, type EntityManager } from 'typeorm';
import type { FaceBox } from '../../common/face-box.js';
import {
  ReferenceStore,
  type EnrolledFaceQuality,
  type ReembedStore,
  type ReferenceCount,
  type NewReference,
  type ReferenceListItem,
  type ReferenceMetadata,
  type ReferenceModel,
  type ReferencePage,
  type ReferencePageRequest,
  type StoredEmbedding,
  type StoredImage,
  type SubjectCount,
} from '../reference-store.js';
import { ReferenceChangeEntity, type ReferenceChangeKind } from './reference-change.entity.js';
import { EncryptionKeyNotConfiguredError, StoredImageCorruptError } from '../../common/errors.js';
import { AppConfig } from '../../config/app-config.js';
import { CommittedChanges } from './committed-changes.js';
import { ImageCipher } from '../image-cipher.js';
import { writeImage } from './image-rows.js';
import { ReferenceImageEntity } from './reference-image.entity.js';
import { IMAGE_ROW_OVERHEAD, StoreSpace } from '../store-space.js';
import { forgetMetadataOfGone } from './subject-metadata.entity.js';
import { joinParticipants } from '../transactions.js';
import { ReferenceEntity } from './reference.entity.js';
import { isMysql } from '../dialect.js';
import { holdCollection } from './collection.entity.js';

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

/** SQLite's default SQLITE_MAX_LENGTH: the largest blob it stores. */
const SQLITE_MAX_BLOB = 1_000_000_000;

@Injectable()
export class TypeOrmReferenceStore
  extends ReferenceStore
  implements ReembedStore, ReferenceCount, OnModuleInit
{
  private readonly logger = new Logger(TypeOrmReferenceStore.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: ImageCipher,
    private readonly committed: CommittedChanges,
    private readonly config: AppConfig,
    private readonly space: StoreSpace,
  ) {
    super();
  }

  /**
   * Refuses to start when the database could not store the largest upload the service accepts:
   * otherwise that upload would be analysed first and refused by the database after.
   */
  async onModuleInit(): Promise<void> {
    const { MAX_UPLOAD_BYTES } = this.config.env;
    const needed = MAX_UPLOAD_BYTES + IMAGE_ROW_OVERHEAD;
    if (!isMysql(this.dataSource)) {
      if (needed > SQLITE_MAX_BLOB) {
        throw new Error(
          `MAX_UPLOAD_BYTES=${MAX_UPLOAD_BYTES} is more than SQLite stores in one value ` +
            `(${SQLITE_MAX_BLOB} bytes); lower it`,
        );
      }
      return;
    }
    const [{ packet }] = await this.dataSource.query<{ packet: number | string }[]>(
      'SELECT @@max_allowed_packet AS packet',
    );
    if (Number(packet) < needed) {
      throw new Error(
        `MAX_UPLOAD_BYTES=${MAX_UPLOAD_BYTES} needs the database to accept statements of ` +
          `${needed} bytes, but its max_allowed_packet=${packet}: raise max_allowed_packet on ` +
          `the server (e.g. --max-allowed-packet=${Math.ceil(needed / 1048576) * 2}M) or lower ` +
          'MAX_UPLOAD_BYTES',
      );
    }
  }

  private transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.space.write(work);
  }

  async insert(collection: string, reference: NewReference, signal?: AbortSignal): Promise<number> {
    const id = await this.transaction(async (manager) => {
      await holdCollection(manager, collection);
      const row = await manager.getRepository(ReferenceEntity).save({
        collection,
        key: reference.key,
        filename: reference.filename,
        subject: reference.subject,
        contentType: reference.contentType,
        sizeBytes: reference.image.length,
        imageSha256: createHash('sha256').update(reference.image).digest('hex'),
        embedding: embeddingToBytes(reference.embedding),
        ...boxColumns(reference.box),
        faceQuality: JSON.stringify(reference.quality),
        model: reference.model,
        createdAt: new Date(),
      });
      await writeImage(manager, 'insert', row.id, this.cipher.seal(reference.image, reference.key));
      await logChange(manager, row.id, collection, 'insert');
      // Throwing here rolls all three rows back: the window left is the commit itself.
      signal?.throwIfAborted();
      await joinParticipants(manager, {
        referenceKeys: [reference.key],
        subjects: reference.subject === null ? [] : [reference.subject],
      });
      return row.id;
    });
    const { key, filename, subject, embedding, model } = reference;
    this.committed.tell({
      kind: 'stored',
      reference: { id, collection, key, filename, subject, embedding, model },
    });
    return id;
  }

  async findEmbedding(collection: string, key: string): Promise<StoredEmbedding | null> {
    const row = await this.dataSource.getRepository(ReferenceEntity).findOne({
      select: {
        key: true,
        embedding: true,
        ...BOX_COLUMNS,
        model: true,
      },
      where: { collection, key },
    });
    if (!row) return null;
    return {
      key: row.key,
      embedding: embeddingFromBytes(row.embedding),
      box: boxOf(row),
      model: row.model,
    };
  }

  async findSubjectEmbeddings(collection: string, subject: string): Promise<StoredEmbedding[]> {
    // By the (collection, subject, id) index: the person's rows only, oldest first, no image bytes.
    const rows = await this.dataSource.getRepository(ReferenceEntity).find({
      select: { key: true, embedding: true, ...BOX_COLUMNS, model: true },
      where: { collection, subject },
      order: { id: 'ASC' },
    });
    return rows.map((row) => ({
      key: row.key,
      embedding: embeddingFromBytes(row.embedding),
      box: boxOf(row),
      model: row.model,
    }));
  }

  async findMetadata(collection: string, key: string): Promise<ReferenceMetadata | null> {
    const row = await this.dataSource.getRepository(ReferenceEntity).findOne({
      select: {
        key: true,
        filename: true,
        subject: true,
        contentType: true,
        sizeBytes: true,
        ...BOX_COLUMNS,
        faceQuality: true,
        model: true,
        imageSha256: true,
        createdAt: true,
      },
      where: { collection, key },
    });
    if (!row) return null;
    return {
      key: row.key,
      filename: row.filename,
      subject: row.subject,
      contentType: row.contentType,
      sizeBytes: row.sizeBytes,
      box: boxOf(row),
      quality: row.faceQuality ? (JSON.parse(row.faceQuality) as EnrolledFaceQuality) : null,
      model: row.model,
      imageSha256: row.imageSha256,
      createdAt: row.createdAt,
    };
  }

  async readImage(collection: string, key: string): Promise<StoredImage | null> {
    const row = await this.dataSource
      .getRepository(ReferenceImageEntity)
      .createQueryBuilder('image')
      .innerJoin('image.reference', 'reference')
      .select([
        'image.bytes AS bytes',
        'reference.contentType AS contentType',
        'reference.filename AS filename',
      ])
      .where('reference.collection = :collection AND reference.key = :key', { collection, key })
      .getRawOne<{ bytes: Buffer; contentType: string; filename: string }>();
    if (!row) return null;
    return {
      bytes: this.open(key, row.bytes),
      contentType: row.contentType,
      filename: row.filename,
    };
  }

  private open(key: string, stored: Buffer): Buffer {
    try {
      return this.cipher.open(stored, key);
    } catch (error) {
      if (error instanceof EncryptionKeyNotConfiguredError) {
        this.logger.error(
          `Image of reference ${key} is sealed with key id ${error.keyId}, which is neither ` +
            'ENCRYPTION_KEY nor one of ENCRYPTION_PREVIOUS_KEYS',
        );
      } else if (error instanceof StoredImageCorruptError) {
        this.logger.error(`Image of reference ${key} failed its integrity check: ${error.reason}`);
      }
      throw error;
    }
  }

  /** Raw rows, not entities: hydrating 10,000 entities cost several times the query itself. */
  async list(
    collection: string,
    { limit, offset, subject }: ReferencePageRequest,
  ): Promise<ReferencePage> {
    const matching = this.dataSource
      .getRepository(ReferenceEntity)
      .createQueryBuilder('reference')
      .where('reference.collection = :collection', { collection });
    if (subject !== undefined) matching.andWhere('reference.subject = :subject', { subject });
    const [items, total] = await Promise.all([
      matching
        .clone()
        .select('reference.key', 'key')
        .addSelect('reference.filename', 'filename')
        .addSelect('reference.subject', 'subject')
        .orderBy('reference.id', 'ASC')
        // MySQL has no OFFSET without a LIMIT.
        .offset(offset > 0 ? offset : undefined)
        .limit(limit ?? (offset > 0 ? Number.MAX_SAFE_INTEGER : undefined))
        .getRawMany<ReferenceListItem>(),
      matching.getCount(),
    ]);
    return { total, items };
  }

  async subjects(collection: string): Promise<SubjectCount[]> {
    const rows = await this.dataSource
      .getRepository(ReferenceEntity)
      .createQueryBuilder('reference')
      .select('reference.subject', 'subject')
      .addSelect('COUNT(*)', 'references')
      .where('reference.collection = :collection', { collection })
      .andWhere('reference.subject IS NOT NULL')
      .groupBy('reference.subject')
      .orderBy('reference.subject', 'ASC')
      .getRawMany<{ subject: string; references: number | string }>();
    // MySQL returns COUNT(*) as a string.
    return rows.map((row) => ({ subject: row.subject, references: Number(row.references) }));
  }

  count(): Promise<number> {
    return this.dataSource.getRepository(ReferenceEntity).count();
  }

  async countByCollection(): Promise<Map<string, number>> {
    const rows = await this.dataSource
      .getRepository(ReferenceEntity)
      .createQueryBuilder('reference')
      .select('reference.collection', 'collection')
      .addSelect('COUNT(*)', 'references')
      .groupBy('reference.collection')
      .getRawMany<{ collection: string; references: number | string }>();
    return new Map(rows.map((row) => [row.collection, Number(row.references)]));
  }

  async delete(collection: string, key: string): Promise<number | null> {
    const id = await this.transaction(async (manager) => {
      const row = await manager
        .getRepository(ReferenceEntity)
        .findOne({ select: { id: true, subject: true }, where: { collection, key } });
      if (!row) return null;
      // Explicit rather than relying on ON DELETE CASCADE, which SQLite honours only per connection.
      await manager.getRepository(ReferenceImageEntity).delete({ referenceId: row.id });
      await manager.getRepository(ReferenceEntity).delete({ id: row.id });
      await logChange(manager, row.id, collection, 'delete');
      // A person's metadata goes with their last reference: nothing of them is left behind.
      if (row.subject !== null) await forgetMetadataOfGone(manager, collection, row.subject);
      await joinParticipants(manager, {
        referenceKeys: [key],
        subjects: row.subject === null ? [] : [row.subject],
      });
      return row.id;
    });
    if (id !== null) this.committed.tell({ kind: 'deleted', referenceId: id });
    return id;
  }

  async replaceEmbedding(
    collection: string,
    key: string,
    from: string,
    { embedding, box, model }: { embedding: Float32Array; box: FaceBox; model: string },
  ): Promise<boolean> {
    const replaced = await this.transaction(async (manager) => {
      const references = manager.getRepository(ReferenceEntity);
      const row = await references.findOne({
        select: { id: true, filename: true, subject: true },
        where: { collection, key, model: from },
      });
      if (!row) return null;
      const { affected } = await references.update(
        { id: row.id, model: from },
        { embedding: embeddingToBytes(embedding), ...boxColumns(box), model },
      );
      if (!affected) return null;
      await logChange(manager, row.id, collection, 'insert');
      return row;
    });
    if (!replaced) return false;
    const { id, filename, subject } = replaced;
    this.committed.tell({
      kind: 'stored',
      reference: { id, collection, key, filename, subject, embedding, model },
    });
    return true;
  }

  async modelsAfter(afterId: number, limit: number): Promise<ReferenceModel[]> {
    return this.dataSource.getRepository(ReferenceEntity).find({
      select: { id: true, collection: true, key: true, model: true },
      where: { id: MoreThan(afterId) },
      order: { id: 'ASC' },
      take: limit,
    });
  }
}

const BOX_COLUMNS = { boxX: true, boxY: true, boxWidth: true, boxHeight: true } as const;

/** The face box stored as four columns. */
function boxOf(row: ReferenceEntity): FaceBox {
  return { x: row.boxX, y: row.boxY, width: row.boxWidth, height: row.boxHeight };
}

/** The four columns a face box is stored as. */
function boxColumns(box: FaceBox) {
  return { boxX: box.x, boxY: box.y, boxWidth: box.width, boxHeight: box.height };
}

export async function logChange(
  manager: EntityManager,
  referenceId: number,
  collection: string,
  kind: ReferenceChangeKind,
): Promise<void> {
  await manager
    .getRepository(ReferenceChangeEntity)
    .insert({ referenceId, collection, kind, createdAt: new Date() });
}
