/** A collection with what it holds. */
export interface CollectionSummary {
  name: string;
  createdAt: Date;
  references: number;
  /** Subjects with at least one reference. */
  persons: number;
}

/** What erasing a collection removed. */
export interface ErasedCollection {
  references: number;
  persons: number;
}

/** Port for the collections themselves (`CollectionsService`, the guard's look-up). */
export abstract class CollectionStore {
  abstract exists(name: string): Promise<boolean>;
  /** Makes an empty collection; false when one of that name exists. */
  abstract create(name: string, now: Date): Promise<boolean>;
  /** Every collection, by name, with its counts. */
  abstract list(): Promise<CollectionSummary[]>;
  /**
   * Erases the collection and everything in it in one transaction: its references with their
   * photos and embeddings, its people's metadata, its idempotency records and its change log
   * entries (replaced by one delete entry per reference, for other replicas' indexes), and the
   * collection itself. Null when there was none.
   */
  abstract erase(name: string): Promise<ErasedCollection | null>;
}
