import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import type { EnrolledFaceQuality } from '../../store/reference-store.js';
import { IdempotencyKeyEntity } from '../../idempotency/idempotency-key.entity.js';
import { CommittedChanges } from '../../store/typeorm/committed-changes.js';
import { ReferenceChangeEntity } from '../../store/typeorm/reference-change.entity.js';
import { ReferenceImageEntity } from '../../store/typeorm/reference-image.entity.js';
import { ReferenceEntity } from '../../store/typeorm/reference.entity.js';
import { StoreSpace } from '../../store/store-space.js';
import { joinParticipants } from '../../store/transactions.js';
import { logChange } from '../../store/typeorm/typeorm-reference.store.js';
import type { SubjectMetadata } from '../subject-metadata.js';
import { SubjectStore, type SubjectReference } from '../subject-store.js';
import { SubjectMetadataEntity } from '../../store/typeorm/subject-metadata.entity.js';
import { lockForWrite } from '../../store/dialect.js';
import { holdCollection } from '../../store/typeorm/collection.entity.js';

/** Ids per IN (...) list: a person with thousands of photos stays within any statement limit. */
const ID_BATCH = 500;

@Injectable()
export class TypeOrmSubjectStore extends SubjectStore {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly committed: CommittedChanges,
    private readonly space: StoreSpace,
  ) {
    super();
  }

  async references(collection: string, subject: string): Promise<SubjectReference[]> {
    const rows = await this.dataSource.getRepository(ReferenceEntity).find({
      select: { id: true, key: true, filename: true, faceQuality: true, createdAt: true },
      where: { collection, subject },
      order: { id: 'ASC' },
    });
    return rows.map((row) => ({
      key: row.key,
      filename: row.filename,
      createdAt: row.createdAt,
      quality: row.faceQuality ? (JSON.parse(row.faceQuality) as EnrolledFaceQuality) : null,
    }));
  }

  async metadata(collection: string, subjects: string[]): Promise<Map<string, SubjectMetadata>> {
    const found = new Map<string, SubjectMetadata>();
    for (const batch of batches([...new Set(subjects)])) {
      const rows = await this.dataSource.getRepository(SubjectMetadataEntity).find({
        select: { subject: true, metadata: true },
        where: { collection, subject: In(batch) },
      });
      for (const row of rows) found.set(row.subject, JSON.parse(row.metadata) as SubjectMetadata);
    }
    return found;
  }

  async saveMetadata(
    collection: string,
    subject: string,
    metadata: SubjectMetadata,
  ): Promise<boolean> {
    return this.space.write(async (manager) => {
      await holdCollection(manager, collection);
      // Locked, so that a concurrent delete of the last reference waits, or is waited for, and
      // metadata is never written for a person who has just gone.
      if ((await this.lockReferences(manager, collection, subject)).length === 0) return false;
      await manager.getRepository(SubjectMetadataEntity).save({
        collection,
        subject,
        metadata: JSON.stringify(metadata),
        updatedAt: new Date(),
      });
      // An idempotent PUT's key is spent in this transaction: a retry replays, never writes again.
      await joinParticipants(manager, { referenceKeys: [], subjects: [subject] });
      return true;
    });
  }

  async erase(collection: string, subject: string): Promise<number> {
    const ids = await this.space.write(async (manager) => {
      const rows = await this.lockReferences(manager, collection, subject);
      const ids = rows.map((row) => row.id);
      for (const batch of batches(ids)) {
        // Explicit rather than relying on ON DELETE CASCADE, which SQLite honours only per connection.
        await manager.getRepository(ReferenceImageEntity).delete({ referenceId: In(batch) });
        await manager.getRepository(ReferenceEntity).delete({ id: In(batch) });
        // The log's older entries go too: erased means no trace of when the person was enrolled.
        await manager.getRepository(ReferenceChangeEntity).delete({ referenceId: In(batch) });
      }
      // One delete entry per reference, carrying its id only, for other replicas to drop it.
      for (const id of ids) await logChange(manager, id, collection, 'delete');
      await manager.getRepository(SubjectMetadataEntity).delete({ collection, subject });
      // An idempotent upload's or delete's kept answer names the reference's key: it goes too.
      for (const { key } of rows) {
        await manager
          .getRepository(IdempotencyKeyEntity)
          .createQueryBuilder()
          .delete()
          .where('collection = :collection', { collection })
          .andWhere('response_body LIKE :answer', { answer: `%${key}%` })
          .execute();
      }
      // After the answers it erased: an idempotent DELETE's own key is spent here, and only when
      // there was someone to erase (a 404 leaves the key free).
      if (ids.length > 0) {
        await joinParticipants(manager, {
          referenceKeys: rows.map(({ key }) => key),
          subjects: [subject],
          erasure: 'person',
        });
      }
      return ids;
    });
    for (const referenceId of ids) this.committed.tell({ kind: 'deleted', referenceId });
    return ids.length;
  }

  /** The ids and keys of the subject's references, write-locked on MySQL (SQLite's writes take turns). */
  private lockReferences(
    manager: EntityManager,
    collection: string,
    subject: string,
  ): Promise<{ id: number; key: string }[]> {
    const query = manager
      .getRepository(ReferenceEntity)
      .createQueryBuilder('reference')
      .select('reference.id', 'id')
      .addSelect('reference.key', 'key')
      .where('reference.collection = :collection', { collection })
      .andWhere('reference.subject = :subject', { subject })
      .orderBy('reference.id', 'ASC');
    return lockForWrite(query).getRawMany<{ id: number; key: string }>();
  }
}

function batches<T>(items: T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += ID_BATCH) {
    result.push(items.slice(start, start + ID_BATCH));
  }
  return result;
}
