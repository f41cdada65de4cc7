import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, LessThan, MoreThan, type EntityManager } from 'typeorm';
import { deleteBatch } from '../store/dialect.js';
import { runTransaction } from '../store/transactions.js';
import { AuditEntryEntity } from './audit-entry.entity.js';
import {
  AuditStore,
  type AuditAction,
  type AuditEntry,
  type AuditFilter,
  type StoredAuditEntry,
} from './audit-store.js';

/**
 * What finds `value` as one member of a JSON array of strings. INSTR rather than LIKE: SQLite's
 * LIKE ignores case, and subjects are case-sensitive (the columns are binary on MySQL).
 */
const member = (value: string): string => JSON.stringify(value);

/** Entries read at a time while a collection's erasure makes their names digests. */
const ANONYMISE_BATCH = 500;

const toRow = (entry: AuditEntry): Omit<AuditEntryEntity, 'id'> => ({
  occurredAt: entry.time,
  keyId: entry.key?.id ?? null,
  keyName: entry.key?.name ?? null,
  collection: entry.collection,
  action: entry.action,
  referenceKeys: JSON.stringify(entry.referenceKeys),
  subjects: JSON.stringify(entry.subjects),
  outcome: entry.outcome,
  requestId: entry.requestId,
  clientAddress: entry.clientAddress,
});

const fromRow = (row: AuditEntryEntity): StoredAuditEntry => ({
  id: row.id,
  time: row.occurredAt,
  key: row.keyId === null ? null : { id: row.keyId, name: row.keyName ?? '' },
  collection: row.collection,
  action: row.action as AuditAction,
  referenceKeys: JSON.parse(row.referenceKeys) as string[],
  subjects: JSON.parse(row.subjects) as string[],
  outcome: row.outcome,
  requestId: row.requestId,
  clientAddress: row.clientAddress,
});

@Injectable()
export class TypeOrmAuditStore extends AuditStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async append(entry: AuditEntry, manager?: EntityManager): Promise<void> {
    if (manager) {
      await manager.getRepository(AuditEntryEntity).insert(toRow(entry));
      return;
    }
    await runTransaction(this.dataSource, (own) =>
      own.getRepository(AuditEntryEntity).insert(toRow(entry)),
    );
  }

  async anonymise(
    manager: EntityManager,
    collection: string,
    names: { subjects: string[]; referenceKeys: string[] },
    anonymise: (value: string) => string,
  ): Promise<number> {
    if (names.subjects.length + names.referenceKeys.length === 0) return 0;
    const entries = manager.getRepository(AuditEntryEntity);
    const query = entries.createQueryBuilder('entry').where('entry.collection = :collection', {
      collection,
    });
    query.andWhere(
      new Brackets((where) => {
        names.subjects.forEach((subject, i) =>
          where.orWhere(`INSTR(entry.subjects, :subject${i}) > 0`, {
            [`subject${i}`]: member(subject),
          }),
        );
        names.referenceKeys.forEach((key, i) =>
          where.orWhere(`INSTR(entry.reference_keys, :key${i}) > 0`, {
            [`key${i}`]: member(key),
          }),
        );
      }),
    );
    const rows = await query.getMany();
    const subjects = new Set(names.subjects);
    const keys = new Set(names.referenceKeys);
    for (const row of rows) {
      const entry = fromRow(row);
      await entries.update(
        { id: row.id },
        {
          subjects: JSON.stringify(
            entry.subjects.map((subject) => (subjects.has(subject) ? anonymise(subject) : subject)),
          ),
          referenceKeys: JSON.stringify(
            entry.referenceKeys.map((key) => (keys.has(key) ? anonymise(key) : key)),
          ),
        },
      );
    }
    return rows.length;
  }

  async anonymiseCollection(
    manager: EntityManager,
    collection: string,
    anonymise: (value: string) => string,
  ): Promise<number> {
    const entries = manager.getRepository(AuditEntryEntity);
    // A name already a digest (an earlier erasure's) stays as it is.
    const digest = (name: string) => (name.startsWith('sha256:') ? name : anonymise(name));
    let changed = 0;
    // A page at a time: a year of a busy collection's entries need not fit in memory.
    for (let after = 0; ;) {
      const rows = await entries.find({
        select: { id: true, subjects: true, referenceKeys: true },
        where: { collection, id: MoreThan(after) },
        order: { id: 'ASC' },
        take: ANONYMISE_BATCH,
      });
      if (rows.length === 0) return changed;
      for (const row of rows) {
        const subjects = JSON.parse(row.subjects) as string[];
        const referenceKeys = JSON.parse(row.referenceKeys) as string[];
        if (subjects.length + referenceKeys.length === 0) continue;
        await entries.update(
          { id: row.id },
          {
            subjects: JSON.stringify(subjects.map(digest)),
            referenceKeys: JSON.stringify(referenceKeys.map(digest)),
          },
        );
        changed++;
      }
      after = rows[rows.length - 1].id;
    }
  }

  async page(filter: AuditFilter): Promise<StoredAuditEntry[]> {
    const query = this.dataSource
      .getRepository(AuditEntryEntity)
      .createQueryBuilder('entry')
      .orderBy('entry.id', 'DESC')
      .take(filter.limit);
    if (filter.since) query.andWhere('entry.occurred_at >= :since', { since: filter.since });
    if (filter.until) query.andWhere('entry.occurred_at < :until', { until: filter.until });
    if (filter.collection !== undefined)
      query.andWhere('entry.collection = :collection', { collection: filter.collection });
    if (filter.action) query.andWhere('entry.action = :action', { action: filter.action });
    if (filter.before !== undefined)
      query.andWhere('entry.id < :before', { before: filter.before });
    if (filter.subject !== undefined) {
      query.andWhere('INSTR(entry.subjects, :subject) > 0', { subject: member(filter.subject) });
    }
    if (filter.referenceKey !== undefined) {
      query.andWhere('INSTR(entry.reference_keys, :key) > 0', { key: member(filter.referenceKey) });
    }
    return (await query.getMany()).map(fromRow);
  }

  async prune(before: Date, limit: number): Promise<number> {
    return runTransaction(this.dataSource, (manager) =>
      deleteBatch(
        manager.getRepository(AuditEntryEntity),
        { occurredAt: LessThan(before) },
        { id: 'ASC' },
        limit,
      ),
    );
  }
}
