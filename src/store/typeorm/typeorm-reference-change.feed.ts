import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, LessThan, MoreThan, MoreThanOrEqual } from 'typeorm';
import {
  ReferenceChangeFeed,
  type CommittedChange,
  type IndexedReference,
  type ReferenceChange,
} from '../reference-change-feed.js';
import { CommittedChanges } from './committed-changes.js';
import { ReferenceChangeEntity } from './reference-change.entity.js';
import { ReferenceEntity } from './reference.entity.js';
import { embeddingFromBytes } from './typeorm-reference.store.js';

@Injectable()
export class TypeOrmReferenceChangeFeed extends ReferenceChangeFeed {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly committed: CommittedChanges,
  ) {
    super();
  }

  onCommitted(listener: (change: CommittedChange) => void): void {
    this.committed.listen(listener);
  }

  async snapshot(): Promise<{ watermark: number; references: IndexedReference[] }> {
    // Read the log position first: a change committed while the rows are read is replayed later,
    // and replaying is idempotent.
    const last = await this.dataSource
      .getRepository(ReferenceChangeEntity)
      .findOne({ select: { id: true }, where: {}, order: { id: 'DESC' } });
    const rows = await this.dataSource
      .getRepository(ReferenceEntity)
      .find({ select: INDEXED_COLUMNS, order: { id: 'ASC' } });
    return { watermark: last?.id ?? 0, references: rows.map(toIndexed) };
  }

  async findIndexed(ids: number[]): Promise<IndexedReference[]> {
    if (ids.length === 0) return [];
    const rows = await this.dataSource
      .getRepository(ReferenceEntity)
      .find({ select: INDEXED_COLUMNS, where: { id: In(ids) }, order: { id: 'ASC' } });
    return rows.map(toIndexed);
  }

  async changesSince(afterId: number, limit: number): Promise<ReferenceChange[]> {
    return this.dataSource.getRepository(ReferenceChangeEntity).find({
      select: { id: true, referenceId: true, kind: true },
      where: { id: MoreThan(afterId) },
      order: { id: 'ASC' },
      take: limit,
    });
  }

  async changesCreatedSince(since: Date, limit: number): Promise<ReferenceChange[]> {
    return this.dataSource.getRepository(ReferenceChangeEntity).find({
      select: { id: true, referenceId: true, kind: true },
      where: { createdAt: MoreThanOrEqual(since) },
      order: { id: 'ASC' },
      take: limit,
    });
  }

  async pruneChanges(before: Date): Promise<number> {
    const result = await this.dataSource
      .getRepository(ReferenceChangeEntity)
      .delete({ createdAt: LessThan(before) });
    return result.affected ?? 0;
  }
}

const INDEXED_COLUMNS = {
  id: true,
  collection: true,
  key: true,
  filename: true,
  subject: true,
  embedding: true,
  model: true,
} as const;

function toIndexed(row: ReferenceEntity): IndexedReference {
  return {
    id: row.id,
    collection: row.collection,
    key: row.key,
    filename: row.filename,
    subject: row.subject,
    embedding: embeddingFromBytes(row.embedding),
    model: row.model,
  };
}
