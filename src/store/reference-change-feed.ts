/** What the identification index holds of a reference. */
export interface IndexedReference {
  id: number;
  /** The partition of the index it is searched in. */
  collection: string;
  key: string;
  filename: string;
  subject: string | null;
  embedding: Float32Array;
  model: string;
}

/** An entry of the change log that every replica reads. */
export interface ReferenceChange {
  /** Position in the change log: the watermark a reader has read up to. */
  id: number;
  referenceId: number;
  kind: 'insert' | 'delete';
}

/** A change this process has just committed, told to its listeners at once. */
export type CommittedChange =
  { kind: 'stored'; reference: IndexedReference } | { kind: 'deleted'; referenceId: number };

/**
 * Port for readers that follow the references rather than own them (the identification index):
 * a snapshot, the change log every replica writes, and this process's own commits as they happen.
 * `TypeOrmReferenceChangeFeed` is the adapter.
 */
export abstract class ReferenceChangeFeed {
  /** Every reference, and the change log position they reflect. */
  abstract snapshot(): Promise<{ watermark: number; references: IndexedReference[] }>;
  /** The references with these ids that still exist. */
  abstract findIndexed(ids: number[]): Promise<IndexedReference[]>;
  /** Change log entries after `afterId`, in log order, at most `limit`. */
  abstract changesSince(afterId: number, limit: number): Promise<ReferenceChange[]>;
  /** Change log entries written at or after `since`, in log order, at most `limit`. */
  abstract changesCreatedSince(since: Date, limit: number): Promise<ReferenceChange[]>;
  /** Drops change log entries older than `before`; how many. */
  abstract pruneChanges(before: Date): Promise<number>;
  /** Calls `listener` after each change this process commits (stored, re-embedded, deleted). */
  abstract onCommitted(listener: (change: CommittedChange) => void): void;
}
