import { Injectable } from '@nestjs/common';
import { asOperation } from '../common/operation.js';
import { DEFAULT_COLLECTION } from './collection-name.js';
import { CollectionStore } from './collection-store.js';

/**
 * How long a collection seen to exist is taken to exist without asking the database again. A
 * collection deleted on another replica is refused here within this time; a write into it in the
 * meantime still fails, since every write checks its collection in its own transaction.
 */
export const KNOWN_FOR_MS = 5_000;

/**
 * Whether a collection exists, as every request that names one asks: `default` always does, and
 * others are remembered for a few seconds once found, so that a request costs no query. A name
 * not found is never remembered: a collection just made is usable at once on every replica.
 */
@Injectable()
export class KnownCollections {
  private readonly seen = new Map<string, number>();

  constructor(private readonly store: CollectionStore) {}

  async exists(name: string, now = Date.now()): Promise<boolean> {
    if (name === DEFAULT_COLLECTION) return true;
    const seenAt = this.seen.get(name);
    if (seenAt !== undefined && now - seenAt < KNOWN_FOR_MS) return true;
    const exists = await asOperation('Error reading collection', () => this.store.exists(name));
    if (exists) this.seen.set(name, now);
    else this.seen.delete(name);
    return exists;
  }

  /** This replica erased it: refused from now on. */
  forget(name: string): void {
    this.seen.delete(name);
  }
}
