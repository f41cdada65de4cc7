import { KeyLookup, KeyStore, type ActiveKey, type StoredKey } from '../../src/keys/key-store.js';

/** Both ports of the keys in memory, counting the lookups the key check makes. */
export class MemoryKeyStore implements KeyStore, KeyLookup {
  readonly keys = new Map<string, StoredKey>();
  /** Calls of `byDigest` and `active`: how often the key check went to the database. */
  digestLookups = 0;
  reads = 0;
  failWith?: Error;
  /** Held by `active` until resolved: a refresh in flight. */
  hold?: Promise<void>;

  insert(key: StoredKey): Promise<void> {
    this.keys.set(key.id, { ...key });
    return Promise.resolve();
  }

  list(collection?: string): Promise<StoredKey[]> {
    return Promise.resolve(
      [...this.keys.values()].filter(
        (key) => collection === undefined || key.collection === collection,
      ),
    );
  }

  revoke(id: string, at: Date, collection?: string): Promise<StoredKey | null> {
    const key = this.keys.get(id);
    if (!key || (collection !== undefined && key.collection !== collection)) {
      return Promise.resolve(null);
    }
    key.revokedAt ??= at;
    return Promise.resolve({ ...key });
  }

  async active(): Promise<ActiveKey[]> {
    this.reads++;
    // What is in force when the read starts, as a database's snapshot would be.
    const found = [...this.keys.values()].filter((key) => key.revokedAt === null);
    await this.hold;
    if (this.failWith) throw this.failWith;
    return found.map((key) => ({ ...key }));
  }

  byDigest(secretSha256: string): Promise<ActiveKey | null> {
    this.digestLookups++;
    if (this.failWith) return Promise.reject(this.failWith);
    const key = [...this.keys.values()].find(
      (candidate) => candidate.secretSha256 === secretSha256 && candidate.revokedAt === null,
    );
    return Promise.resolve(key ? { ...key } : null);
  }

  markUsed(uses: ReadonlyMap<string, Date>): Promise<void> {
    for (const [id, at] of uses) {
      const key = this.keys.get(id);
      if (key && (key.lastUsedAt === null || key.lastUsedAt < at)) key.lastUsedAt = at;
    }
    return Promise.resolve();
  }
}
