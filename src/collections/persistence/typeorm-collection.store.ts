import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { IdempotencyKeyEntity } from '../../idempotency/idempotency-key.entity.js';
import { isUniqueViolation, lockForWrite } from '../../store/dialect.js';
import { StoreSpace } from '../../store/store-space.js';
import { joinParticipants } from '../../store/transactions.js';
import { CollectionEntity } from '../../store/typeorm/collection.entity.js';
import { CommittedChanges } from '../../store/typeorm/committed-changes.js';
import { ReferenceChangeEntity } from '../../store/typeorm/reference-change.entity.js';
import { ReferenceImageEntity } from '../../store/typeorm/reference-image.entity.js';
import { ReferenceEntity } from '../../store/typeorm/reference.entity.js';
import { SubjectMetadataEntity } from '../../store/typeorm/subject-metadata.entity.js';
import {
  CollectionStore,
  type CollectionSummary,
  type ErasedCollection,
} from '../collection-store.js';

/** Ids per IN (...) list and rows per insert: a large collection stays within statement limits. */
const BATCH = 500;

@Injectable()
export class TypeOrmCollectionStore extends CollectionStore {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly committed: CommittedChanges,
    private readonly space: StoreSpace,
  ) {
    super();
  }

  exists(name: string): Promise<boolean> {
    return this.dataSource.getRepository(CollectionEntity).exists({ where: { name } });
  }

  async create(name: string, now: Date): Promise<boolean> {
    try {
      await this.space.write(async (manager) => {
        await manager.getRepository(CollectionEntity).insert({ name, createdAt: now });
        await joinParticipants(manager, { referenceKeys: [], subjects: [], collection: name });
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async list(): Promise<CollectionSummary[]> {
    const [collections, counts] = await Promise.all([
      this.dataSource.getRepository(CollectionEntity).find({ order: { name: 'ASC' } }),
      this.dataSource
        .getRepository(ReferenceEntity)
        .createQueryBuilder('reference')
        .select('reference.collection', 'collection')
        .addSelect('COUNT(*)', 'references')
        .addSelect('COUNT(DISTINCT reference.subject)', 'persons')
        .groupBy('reference.collection')
        .getRawMany<{
          collection: string;
          references: number | string;
          persons: number | string;
        }>(),
    ]);
    const byName = new Map(counts.map((row) => [row.collection, row]));
    // MySQL returns COUNT(*) as a string.
    return collections.map(({ name, createdAt }) => ({
      name,
      createdAt,
      references: Number(byName.get(name)?.references ?? 0),
      persons: Number(byName.get(name)?.persons ?? 0),
    }));
  }

  async erase(name: string): Promise<ErasedCollection | null> {
    const erased = await this.space.write(async (manager) => {
      // For update: an upload into the collection (which holds it shared) waits, or is waited for.
      const held = await lockForWrite(
        manager
          .getRepository(CollectionEntity)
          .createQueryBuilder('collection')
          .select('collection.name', 'name')
          .where('collection.name = :name', { name }),
      ).getRawOne<{ name: string }>();
      if (!held) return null;
      const rows = await manager
        .getRepository(ReferenceEntity)
        .find({ select: { id: true, subject: true }, where: { collection: name } });
      const ids = rows.map((row) => row.id);
      for (let start = 0; start < ids.length; start += BATCH) {
        const batch = ids.slice(start, start + BATCH);
        // Explicit rather than relying on ON DELETE CASCADE, which SQLite honours only per connection.
        await manager.getRepository(ReferenceImageEntity).delete({ referenceId: In(batch) });
        await manager.getRepository(ReferenceEntity).delete({ id: In(batch) });
      }
      // Erased means no trace of when anyone was enrolled: the log keeps one delete per reference,
      // carrying its id only, for other replicas to drop it from their indexes.
      await manager.getRepository(ReferenceChangeEntity).delete({ collection: name });
      const createdAt = new Date();
      for (let start = 0; start < ids.length; start += BATCH) {
        await manager.getRepository(ReferenceChangeEntity).insert(
          ids.slice(start, start + BATCH).map((referenceId) => ({
            referenceId,
            collection: name,
            kind: 'delete' as const,
            createdAt,
          })),
        );
      }
      await manager.getRepository(SubjectMetadataEntity).delete({ collection: name });
      await manager.getRepository(IdempotencyKeyEntity).delete({ collection: name });
      await manager.getRepository(CollectionEntity).delete({ name });
      await joinParticipants(manager, {
        referenceKeys: [],
        subjects: [],
        collection: name,
        erasure: 'collection',
      });
      const persons = new Set(rows.flatMap(({ subject }) => (subject === null ? [] : [subject])));
      return { ids, persons: persons.size };
    });
    if (erased === null) return null;
    for (const referenceId of erased.ids) this.committed.tell({ kind: 'deleted', referenceId });
    return { references: erased.ids.length, persons: erased.persons };
  }
}
