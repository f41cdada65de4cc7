import { Injectable } from '@nestjs/common';
import {
  CollectionExistsError,
  CollectionNotFoundError,
  DefaultCollectionError,
  InvalidCollectionNameError,
} from '../common/errors.js';
import { asOperation } from '../common/operation.js';
import { DEFAULT_COLLECTION, isCollectionName } from './collection-name.js';
import {
  CollectionStore,
  type CollectionSummary,
  type ErasedCollection,
} from './collection-store.js';
import { KnownCollections } from './known-collections.js';

/** The collections themselves: made, listed with what they hold, erased. */
@Injectable()
export class CollectionsService {
  constructor(
    private readonly store: CollectionStore,
    private readonly known: KnownCollections,
  ) {}

  async create(name: unknown): Promise<CollectionSummary> {
    if (typeof name !== 'string' || !isCollectionName(name)) throw new InvalidCollectionNameError();
    const createdAt = new Date();
    return asOperation('Error creating collection', async () => {
      if (!(await this.store.create(name, createdAt))) throw new CollectionExistsError(name);
      return { name, createdAt, references: 0, persons: 0 };
    });
  }

  async list(): Promise<CollectionSummary[]> {
    return asOperation('Error listing collections', () => this.store.list());
  }

  /** Erases the collection and everyone in it; `default` stays. */
  async erase(name: string): Promise<ErasedCollection> {
    if (!isCollectionName(name)) throw new InvalidCollectionNameError();
    if (name === DEFAULT_COLLECTION) throw new DefaultCollectionError();
    return asOperation('Error deleting collection', async () => {
      const erased = await this.store.erase(name);
      if (erased === null) throw new CollectionNotFoundError(name);
      this.known.forget(name);
      return erased;
    });
  }
}
