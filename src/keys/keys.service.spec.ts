import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCollectionStore } from '../../test/support/memory-collection-store.js';
import { MemoryKeyStore } from '../../test/support/memory-key-store.js';
import { KnownCollections } from '../collections/known-collections.js';
import type { RequestKey } from '../auth/key-identity.js';
import type { AppConfig } from '../config/app-config.js';
import type { EnvironmentVariables } from '../config/environment.js';
import { KeyRing } from './key-ring.js';
import { secretDigest } from './key-secrets.js';
import { KeysService, OPERATOR } from './keys.service.js';

const NOW = new Date('2026-12-07T08:00:00Z');

function setUp() {
  const store = new MemoryKeyStore();
  const config: AppConfig = { env: { API_KEYS: 'admin-key-0123456789' } as EnvironmentVariables };
  const ring = new KeyRing(config, store);
  const collections = new MemoryCollectionStore();
  collections.names.add('kiosks');
  const known = new KnownCollections(collections);
  return { store, ring, keys: new KeysService(store, ring, known) };
}

/** A stored admin key of the default collection that may also read, and nothing else. */
const collectionAdmin: RequestKey = {
  id: 'adminKey0001',
  name: 'default admin',
  collection: 'default',
  scopes: ['read', 'admin'],
};

const kiosk = { name: 'kiosk', collection: 'default', scopes: ['verify' as const] };

describe('KeysService', () => {
  it('should store only the digest of a new secret, which the answer alone holds', async () => {
    const { store, keys } = setUp();
    const { key, secret } = await keys.create(OPERATOR, kiosk, NOW);
    assert.match(secret, /^fg_[A-Za-z0-9_-]{43}$/);
    assert.match(key.id, /^[A-Za-z0-9_-]{12}$/);
    const stored = store.keys.get(key.id)!;
    assert.equal(stored.secretSha256, secretDigest(secret).toString('hex'));
    assert.ok(!JSON.stringify(stored).includes(secret.slice(3)));
    assert.deepEqual(stored.createdAt, NOW);
  });

  it('should keep the scopes in one order, whatever order they were asked in', async () => {
    const { keys } = setUp();
    const { key } = await keys.create(OPERATOR, { ...kiosk, scopes: ['read', 'enrol'] }, NOW);
    assert.deepEqual(key.scopes, ['enrol', 'read']);
  });

  it('should refuse to grant a scope the granting key lacks, and grant the ones it holds', async () => {
    const { keys } = setUp();
    await assert.rejects(keys.create(collectionAdmin, kiosk, NOW), {
      name: 'KeyGrantRefusedError',
      message: "This key may not grant the scope 'verify': it lacks it itself",
    });
    const { key } = await keys.create(collectionAdmin, { ...kiosk, scopes: ['read'] }, NOW);
    assert.deepEqual(key.scopes, ['read']);
  });

  it("should refuse a key for another collection than the granting key's", async () => {
    const { keys } = setUp();
    await assert.rejects(
      keys.create(collectionAdmin, { ...kiosk, collection: 'kiosks', scopes: ['read'] }, NOW),
      { name: 'KeyGrantRefusedError' },
    );
  });

  it('should refuse a collection that does not exist, and an expiry not in the future', async () => {
    const { keys } = setUp();
    await assert.rejects(keys.create(OPERATOR, { ...kiosk, collection: 'lobby' }, NOW), {
      name: 'UnknownCollectionError',
    });
    const { key } = await keys.create(OPERATOR, { ...kiosk, collection: 'kiosks' }, NOW);
    assert.equal(key.collection, 'kiosks');
    await assert.rejects(keys.create(OPERATOR, { ...kiosk, expiresAt: NOW }, NOW), {
      name: 'KeyExpiryInPastError',
    });
  });

  it('should refuse to manage keys when nothing checks them (API_KEYS unset: no request key)', async () => {
    const { keys } = setUp();
    await assert.rejects(keys.create(null, kiosk, NOW), { name: 'KeysNotCheckedError' });
    await assert.rejects(keys.list(null), { name: 'KeysNotCheckedError' });
    await assert.rejects(keys.revoke(null, 'kioskKey0001'), { name: 'KeysNotCheckedError' });
  });

  it("should revoke a key of the caller's collection, and answer another one's as unknown", async () => {
    const { store, keys } = setUp();
    const { key } = await keys.create(OPERATOR, kiosk, NOW);
    const elsewhere = { ...collectionAdmin, collection: 'kiosks' };
    await assert.rejects(keys.revoke(elsewhere, key.id, NOW), { name: 'KeyNotFoundError' });
    assert.equal(store.keys.get(key.id)!.revokedAt, null);
    assert.deepEqual((await keys.revoke(collectionAdmin, key.id, NOW)).revokedAt, NOW);
    await assert.rejects(keys.revoke(OPERATOR, 'not/a/key/id'), { name: 'KeyNotFoundError' });
    assert.deepEqual(
      (await keys.list(elsewhere)).map(({ id }) => id),
      [],
    );
    assert.deepEqual(
      (await keys.list(OPERATOR)).map(({ id }) => id),
      [key.id],
    );
  });
});
