import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { appConfigFrom } from '../config/app-config.js';
import { validateEnvironment } from '../config/environment.js';
import { FakeFaceAnalyser } from '../../test/support/fake-face-analyser.js';
import { MODEL, SharedStore, unit } from '../../test/support/memory-change-feed.js';
import { ReferenceIndex } from './reference-index.js';

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

  const closest = (position: number) => index.nearest('default', unit(position), 1)[0]?.entry.id;

  it('should load every reference of the running model at start, and only those', async () => {
    store.insertByOtherReplica(1);
    store.insertByOtherReplica(2, 'older-model@0');
    await index.onApplicationBootstrap();
    assert.equal(index.size, 1);
    assert.equal(closest(1), 1);
  });

  it('should search each collection apart, and size each by its own references', async () => {
    store.insertByOtherReplica(1, MODEL, undefined, 'shop');
    store.insertByOtherReplica(2, MODEL, undefined, 'shop');
    store.insertByOtherReplica(3);
    await index.onApplicationBootstrap();
    assert.equal(index.sizeOf('shop'), 2);
    assert.equal(index.sizeOf('default'), 1);
    assert.equal(index.sizeOf('door'), 0);
    // The face of shop's reference 1, searched in default, finds default's one reference only.
    assert.deepEqual(
      index.nearest('default', unit(1), 5).map((n) => n.entry.id),
      [3],
    );
    assert.deepEqual(
      index.nearest('shop', unit(1), 5).map((n) => n.entry.id),
      [1, 2],
    );
    assert.deepEqual([...index.people('shop').keys()].sort(), [
      'subject:person1',
      'subject:person2',
    ]);
    assert.deepEqual(index.nearest('door', unit(1), 5), []);
    store.deleteByOtherReplica(1);
    store.deleteByOtherReplica(2);
    await index.refresh();
    assert.equal(index.sizeOf('shop'), 0);
    assert.equal(index.size, 1);
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
    assert.ok(index.nearest('default', unit(1), 5).every((n) => n.entry.id !== 1));
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
