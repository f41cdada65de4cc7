import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCollectionStore } from '../../test/support/memory-collection-store.js';
import { KNOWN_FOR_MS, KnownCollections } from './known-collections.js';

describe('KnownCollections', () => {
  it('should take default as existing without asking the store', async () => {
    const store = new MemoryCollectionStore();
    assert.equal(await new KnownCollections(store).exists('default'), true);
    assert.equal(store.lookups, 0);
  });

  it('should remember a collection found for a few seconds, and ask again after', async () => {
    const store = new MemoryCollectionStore();
    const known = new KnownCollections(store);
    store.names.add('shop');
    assert.equal(await known.exists('shop', 0), true);
    assert.equal(await known.exists('shop', KNOWN_FOR_MS - 1), true);
    assert.equal(store.lookups, 1);
    store.names.delete('shop');
    assert.equal(await known.exists('shop', KNOWN_FOR_MS), false);
    assert.equal(store.lookups, 2);
  });

  it('should never remember a collection not found: one made since is usable at once', async () => {
    const store = new MemoryCollectionStore();
    const known = new KnownCollections(store);
    assert.equal(await known.exists('door', 0), false);
    store.names.add('door');
    assert.equal(await known.exists('door', 1), true);
  });

  it('should refuse at once a collection this replica erased', async () => {
    const store = new MemoryCollectionStore();
    const known = new KnownCollections(store);
    store.names.add('shop');
    assert.equal(await known.exists('shop', 0), true);
    store.names.delete('shop');
    known.forget('shop');
    assert.equal(await known.exists('shop', 1), false);
  });
});
