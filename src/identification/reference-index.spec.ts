import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { appConfigFrom } from '../config/app-config.js';
import { validateEnvironment } from '../config/environment.js';
import { FakeFaceAnalyser } from '../../test/support/fake-face-analyser.js';
import {
  ReferenceChangeFeed,
  type CommittedChange,
  type IndexedReference,
  type ReferenceChange,
} from '../references/reference-change-feed.js';
import { ReferenceIndex } from './reference-index.js';

const MODEL = 'model@1';

function unit(position: number): Float32Array {
  const embedding = new Float32Array(128);
  embedding[position] = 1;
  return embedding;
}

/** The rows and change log of a database that other replicas write to, and this one. */
class SharedStore extends ReferenceChangeFeed {
  references = new Map<number, IndexedReference>();
  private readonly listeners: ((change: CommittedChange) => void)[] = [];
  changes: (ReferenceChange & { createdAt: Date })[] = [];
  private nextChange = 1;

  /** What another replica's upload does; `changeId` lets a test commit out of order. */
  insertByOtherReplica(id: number, model = MODEL, changeId = this.nextChange++): void {
    this.references.set(id, {
      id,
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

describe('ReferenceIndex', () => {
  let store: SharedStore;
  let index: ReferenceIndex;

  beforeEach(() => {
    store = new SharedStore();
    index = new ReferenceIndex(
      store,
      Object.assign(new FakeFaceAnalyser(), { model: MODEL }),
      appConfigFrom(validateEnvironment({})),
    );
  });
  afterEach(() => index.onApplicationShutdown());

  const closest = (position: number) => index.nearest(unit(position), 1)[0]?.entry.id;

  it('should load every reference of the running model at start, and only those', async () => {
    store.insertByOtherReplica(1);
    store.insertByOtherReplica(2, 'older-model@0');
    await index.onApplicationBootstrap();
    assert.equal(index.size, 1);
    assert.equal(closest(1), 1);
  });

  it("should apply another replica's uploads and deletes on refresh", async () => {
    store.insertByOtherReplica(1);
    await index.onApplicationBootstrap();
    store.insertByOtherReplica(2);
    store.insertByOtherReplica(3);
    store.deleteByOtherReplica(1);
    assert.equal(closest(2), 1);
    await index.refresh();
    assert.equal(index.size, 2);
    assert.equal(closest(2), 2);
    assert.equal(closest(3), 3);
    assert.ok(index.nearest(unit(1), 5).every((n) => n.entry.id !== 1));
  });

  it('should not lose a change that commits after a later one was read', async () => {
    await index.onApplicationBootstrap();
    const slow = store.reserveChangeId();
    store.insertByOtherReplica(2);
    await index.refresh();
    assert.equal(index.size, 1);
    // The slower transaction commits now, with a change id below the watermark.
    store.insertByOtherReplica(1, MODEL, slow);
    await index.refresh();
    assert.equal(index.size, 2);
    assert.equal(closest(1), 1);
  });

  it('should apply its own replica’s writes at once, and read them again harmlessly', async () => {
    await index.onApplicationBootstrap();
    store.storeHere(4);
    assert.equal(index.size, 1);
    await index.refresh();
    await index.refresh();
    assert.equal(index.size, 1);
    store.deleteHere(4);
    assert.equal(index.size, 0);
    await index.refresh();
    assert.equal(index.size, 0);
  });

  it('should follow its own replica’s re-embedding between models at once', async () => {
    store.insertByOtherReplica(5, 'older-model@0');
    await index.onApplicationBootstrap();
    assert.equal(index.size, 0);
    store.storeHere(5);
    assert.equal(closest(5), 5);
    store.storeHere(5, 'newer-model@2');
    assert.equal(index.size, 0);
  });

  it("should apply another replica's re-embedding of a reference it already holds", async () => {
    store.insertByOtherReplica(6, 'older-model@0');
    store.insertByOtherReplica(7);
    await index.onApplicationBootstrap();
    assert.equal(index.size, 1);
    store.replaceByOtherReplica(6, 6);
    store.replaceByOtherReplica(7, 9);
    await index.refresh();
    assert.equal(index.size, 2);
    assert.equal(closest(6), 6);
    assert.equal(closest(9), 7);
    store.replaceByOtherReplica(7, 10, 'newer-model@2');
    await index.refresh();
    assert.equal(index.size, 1);
  });

  it('should share one refresh between concurrent callers', async () => {
    await index.onApplicationBootstrap();
    assert.equal(index.refresh(), index.refresh());
    await index.refresh();
  });
});
