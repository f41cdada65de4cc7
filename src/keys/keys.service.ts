import { Injectable } from '@nestjs/common';
import type { RequestKey } from '../auth/key-identity.js';
import { SCOPES, type Scope } from '../auth/scopes.js';
import { KnownCollections } from '../collections/known-collections.js';
import {
  KeyExpiryInPastError,
  KeyGrantRefusedError,
  KeyNotFoundError,
  KeysNotCheckedError,
  UnknownCollectionError,
} from '../common/errors.js';
import { asOperation } from '../common/operation.js';
import { KeyRing } from './key-ring.js';
import { KEY_ID_PATTERN, newKeyId, newSecret, secretDigest } from './key-secrets.js';
import { KeyStore, type StoredKey } from './key-store.js';

export interface NewKey {
  name: string;
  collection: string;
  scopes: readonly Scope[];
  expiresAt?: Date;
}

/**
 * Who manages keys: the key of the request (null when API_KEYS is off, and nothing checks keys),
 * or the operator at the command line, who may do anything.
 */
export type KeyManager = RequestKey | null;

/** The command line's identity: an operator with a shell on the host holds every scope. */
export const OPERATOR: RequestKey = {
  id: 'cli',
  name: 'command line',
  collection: null,
  scopes: SCOPES,
};

/** Making, listing and revoking scoped keys. */
@Injectable()
export class KeysService {
  constructor(
    private readonly store: KeyStore,
    private readonly ring: KeyRing,
    private readonly collections: KnownCollections,
  ) {}

  /** A new key and its secret, which exists only in this answer. */
  async create(
    manager: KeyManager,
    wanted: NewKey,
    now = new Date(),
  ): Promise<{ key: StoredKey; secret: string }> {
    const by = checked(manager);
    if (by.collection !== null && by.collection !== wanted.collection) {
      throw new KeyGrantRefusedError({ collection: wanted.collection });
    }
    const lacking = wanted.scopes.find((scope) => !by.scopes.includes(scope));
    if (lacking !== undefined) throw new KeyGrantRefusedError({ scope: lacking });
    if (!(await this.collections.exists(wanted.collection))) {
      throw new UnknownCollectionError(wanted.collection);
    }
    if (wanted.expiresAt !== undefined && wanted.expiresAt.getTime() <= now.getTime()) {
      throw new KeyExpiryInPastError();
    }
    const secret = newSecret();
    const key: StoredKey = {
      id: newKeyId(),
      name: wanted.name,
      collection: wanted.collection,
      scopes: SCOPES.filter((scope) => wanted.scopes.includes(scope)),
      secretSha256: secretDigest(secret).toString('hex'),
      createdAt: now,
      expiresAt: wanted.expiresAt ?? null,
      lastUsedAt: null,
      revokedAt: null,
    };
    await asOperation('Error creating API key', () => this.store.insert(key));
    return { key, secret };
  }

  /** The keys `manager` may see: its collection's, or every one for an admin of all. */
  async list(manager: KeyManager): Promise<StoredKey[]> {
    const by = checked(manager);
    return await asOperation('Error listing API keys', () =>
      this.store.list(by.collection ?? undefined),
    );
  }

  /** Revokes the key: at once on this replica, within 5 s on the others. */
  async revoke(manager: KeyManager, id: string, now = new Date()): Promise<StoredKey> {
    const by = checked(manager);
    if (!KEY_ID_PATTERN.test(id)) throw new KeyNotFoundError(id);
    const revoked = await asOperation('Error revoking API key', () =>
      this.store.revoke(id, now, by.collection ?? undefined),
    );
    // Another collection's key is answered as one that does not exist.
    if (!revoked) throw new KeyNotFoundError(id);
    this.ring.forget(id);
    return revoked;
  }
}

function checked(manager: KeyManager): RequestKey {
  if (manager === null) throw new KeysNotCheckedError();
  return manager;
}
