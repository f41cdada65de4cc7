import type { Scope } from '../auth/scopes.js';

/** A scoped key as stored: everything but its secret, which only its holder has. */
export interface StoredKey {
  /** Public, short and random: what listings, revocation and the audit trail name it by. */
  id: string;
  name: string;
  collection: string;
  scopes: Scope[];
  /** Hex SHA-256 of the secret. */
  secretSha256: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** What the key check needs of a key that has not been revoked. */
export type ActiveKey = Pick<
  StoredKey,
  'id' | 'name' | 'collection' | 'scopes' | 'secretSha256' | 'expiresAt'
>;

/** Port for `/keys` and the CLI: making, listing and revoking keys. */
export abstract class KeyStore {
  /** Stores `key`; its request's participants (the audit entry) join the transaction. */
  abstract insert(key: StoredKey): Promise<void>;
  /** Every key, revoked ones too, oldest first; only `collection`'s when given. */
  abstract list(collection?: string): Promise<StoredKey[]>;
  /**
   * Marks the key revoked at `at` (a key revoked before keeps its first time), with the request's
   * participants in the transaction; null when no key of `collection` (any, when absent) has `id`.
   */
  abstract revoke(id: string, at: Date, collection?: string): Promise<StoredKey | null>;
}

/** Port for the key check (`KeyRing`): the keys in force, found by the digest of their secret. */
export abstract class KeyLookup {
  /** Every key not revoked (expired ones too: the check tells expiry per request). */
  abstract active(): Promise<ActiveKey[]>;
  /** The key not revoked whose secret has this digest. */
  abstract byDigest(secretSha256: string): Promise<ActiveKey | null>;
  /** Writes when keys were last used; a later time already stored is kept. */
  abstract markUsed(uses: ReadonlyMap<string, Date>): Promise<void>;
}
