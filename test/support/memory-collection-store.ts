import {
  CollectionStore,
  type CollectionSummary,
  type ErasedCollection,
} from '../../src/collections/collection-store.js';

/** Collections by name in memory, empty ones, counting the look-ups: for a unit that only asks which exist. */
export class MemoryCollectionStore extends CollectionStore {
  readonly names = new Set<string>(['default']);
  lookups = 0;

  exists(name: string): Promise<boolean> {
    this.lookups++;
    return Promise.resolve(this.names.has(name));
  }
  create(name: string): Promise<boolean> {
    if (this.names.has(name)) return Promise.resolve(false);
    this.names.add(name);
    return Promise.resolve(true);
  }
  list(): Promise<CollectionSummary[]> {
    return Promise.resolve(
      [...this.names].map((name) => ({ name, createdAt: new Date(0), references: 0, persons: 0 })),
    );
  }
  erase(name: string): Promise<ErasedCollection | null> {
    return Promise.resolve(this.names.delete(name) ? { references: 0, persons: 0 } : null);
  }
}
