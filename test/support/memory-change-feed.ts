import {
  ReferenceChangeFeed,
  type CommittedChange,
  type IndexedReference,
  type ReferenceChange,
} from '../../src/store/reference-change-feed.js';

/** The model every reference is of unless a test says otherwise. */
export const MODEL = 'model@1';

/** A unit embedding along axis `position`: distance 0 to itself, 1 to every other. */
export function unit(position: number): Float32Array {
  const embedding = new Float32Array(128);
  embedding[position] = 1;
  return embedding;
}

/** The rows and change log of a database that other replicas write to, and this one. */
export class SharedStore extends ReferenceChangeFeed {
  references = new Map<number, IndexedReference>();
  private readonly listeners: ((change: CommittedChange) => void)[] = [];
  changes: (ReferenceChange & { createdAt: Date })[] = [];
  private nextChange = 1;

  /** What another replica's upload does; `changeId` lets a test commit out of order. */
  insertByOtherReplica(
    id: number,
    model = MODEL,
    changeId = this.nextChange++,
    collection = 'default',
  ): void {
    this.references.set(id, {
      id,
      collection,
      key: `key${id}`,
      filename: `${id}.jpg`,
      subject: `person${id}`,
      embedding: unit(id),
      model,
    });
    this.changes.push({ id: changeId, referenceId: id, kind: 'insert', createdAt: new Date() });
    this.changes.sort((a, b) => a.id - b.id);
  }

  /** What a re-embedding elsewhere (another replica, `reembed`) does: the same id, a new row. */
  replaceByOtherReplica(id: number, position: number, model = MODEL): void {
    const reference = this.references.get(id)!;
    this.references.set(id, { ...reference, embedding: unit(position), model });
    this.changes.push({
      id: this.nextChange++,
      referenceId: id,
      kind: 'insert',
      createdAt: new Date(),
    });
  }

  deleteByOtherReplica(id: number): void {
    this.references.delete(id);
    this.changes.push({
      id: this.nextChange++,
      referenceId: id,
      kind: 'delete',
      createdAt: new Date(),
    });
  }

  /** What this replica's own upload or re-embedding does: the row, the log, and the news. */
  storeHere(id: number, model = MODEL): void {
    this.insertByOtherReplica(id, model);
    const reference = this.references.get(id);
    for (const listener of this.listeners) listener({ kind: 'stored', reference: reference! });
  }

  deleteHere(id: number): void {
    this.deleteByOtherReplica(id);
    for (const listener of this.listeners) listener({ kind: 'deleted', referenceId: id });
  }

  reserveChangeId(): number {
    return this.nextChange++;
  }

  onCommitted(listener: (change: CommittedChange) => void): void {
    this.listeners.push(listener);
  }
  snapshot(): Promise<{ watermark: number; references: IndexedReference[] }> {
    return Promise.resolve({
      watermark: this.changes.at(-1)?.id ?? 0,
      references: [...this.references.values()],
    });
  }
  findIndexed(ids: number[]): Promise<IndexedReference[]> {
    return Promise.resolve(ids.flatMap((id) => this.references.get(id) ?? []));
  }
  changesSince(afterId: number, limit: number): Promise<ReferenceChange[]> {
    return Promise.resolve(this.changes.filter((c) => c.id > afterId).slice(0, limit));
  }
  changesCreatedSince(since: Date, limit: number): Promise<ReferenceChange[]> {
    return Promise.resolve(this.changes.filter((c) => c.createdAt >= since).slice(0, limit));
  }
  pruneChanges(): Promise<number> {
    return Promise.resolve(0);
  }
}
