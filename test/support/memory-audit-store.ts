import type { EntityManager } from 'typeorm';
import { AuditStore, type AuditEntry, type StoredAuditEntry } from '../../src/audit/audit-store.js';

/** The audit trail in memory, newest last, for the unit specs of what appends to it. */
export class MemoryAuditStore extends AuditStore {
  readonly entries: StoredAuditEntry[] = [];

  append(entry: AuditEntry): Promise<void> {
    this.entries.push({ ...entry, id: this.entries.length + 1 });
    return Promise.resolve();
  }
  anonymise(
    _manager: EntityManager,
    collection: string,
    names: { subjects: string[]; referenceKeys: string[] },
    anonymise: (value: string) => string,
  ): Promise<number> {
    const subjects = new Set(names.subjects);
    const keys = new Set(names.referenceKeys);
    const touched = this.entries.filter((entry) => entry.collection === collection);
    for (const entry of touched) {
      entry.subjects = entry.subjects.map((name) => (subjects.has(name) ? anonymise(name) : name));
      entry.referenceKeys = entry.referenceKeys.map((key) =>
        keys.has(key) ? anonymise(key) : key,
      );
    }
    return Promise.resolve(touched.length);
  }
  anonymiseCollection(
    _manager: EntityManager,
    collection: string,
    anonymise: (value: string) => string,
  ): Promise<number> {
    const touched = this.entries.filter((entry) => entry.collection === collection);
    for (const entry of touched) {
      entry.subjects = entry.subjects.map(anonymise);
      entry.referenceKeys = entry.referenceKeys.map(anonymise);
    }
    return Promise.resolve(touched.length);
  }
  page(): Promise<StoredAuditEntry[]> {
    return Promise.resolve([...this.entries].reverse());
  }
  prune(): Promise<number> {
    return Promise.resolve(0);
  }
}
