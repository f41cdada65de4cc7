import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryKeyStore } from '../../test/support/memory-key-store.js';
import type { AppConfig } from '../config/app-config.js';
import type { EnvironmentVariables } from '../config/environment.js';
import { KEY_SET_MAX_AGE_MS, KeyRing, LAST_USED_EVERY_MS } from './key-ring.js';
import { secretDigest } from './key-secrets.js';
import type { StoredKey } from './key-store.js';

const ADMIN_KEY = 'admin-key-0123456789';
const SECRET = 'fg_kiosk-secret-for-the-unit-spec-000000000';
const T0 = 1_800_000_000_000;

function setUp(apiKeys = ADMIN_KEY) {
  const store = new MemoryKeyStore();
  const config: AppConfig = { env: { API_KEYS: apiKeys } as EnvironmentVariables };
  return { store, ring: new KeyRing(config, store) };
}

function kiosk(overrides: Partial<StoredKey> = {}): StoredKey {
  return {
    id: 'kioskKey0001',
    name: 'front-door kiosk',
    collection: 'default',
    scopes: ['verify'],
    secretSha256: secretDigest(SECRET).toString('hex'),
    createdAt: new Date(T0 - 60_000),
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    ...overrides,
  };
}

const lookUp = { lookUp: true };

describe('KeyRing', () => {
  it('should know a key of API_KEYS as an admin of every collection, without the database', async () => {
    const { store, ring } = setUp(`other-key-0123456789,${ADMIN_KEY}`);
    const found = await ring.identify(ADMIN_KEY, lookUp, T0);
    assert.equal(found?.name, 'api-keys[1]');
    assert.equal(found?.collection, null);
    assert.ok(found?.scopes.includes('admin'));
    assert.equal(store.digestLookups, 0);
  });

  it('should be off without API_KEYS', () => {
    assert.equal(setUp('').ring.enabled, false);
    assert.equal(setUp().ring.enabled, true);
  });

  it('should find a stored key by its secret, with its collection and scopes, never its digest', async () => {
    const { store, ring } = setUp();
    await store.insert(kiosk());
    assert.deepEqual(await ring.identify(SECRET, lookUp, T0), {
      id: 'kioskKey0001',
      name: 'front-door kiosk',
      collection: 'default',
      scopes: ['verify'],
    });
    assert.equal(await ring.identify(`${SECRET}x`, lookUp, T0), undefined);
  });

  it('should answer from memory once a key is known, and look up a key made elsewhere at once', async () => {
    const { store, ring } = setUp();
    await ring.refresh(T0);
    // Made on another replica after this one's last refresh: found by a lookup, then kept.
    await store.insert(kiosk());
    assert.ok(await ring.identify(SECRET, lookUp, T0 + 100));
    assert.ok(await ring.identify(SECRET, lookUp, T0 + 200));
    assert.equal(store.digestLookups, 1);
  });

  it('should not look up a key for a blocked address: memory only', async () => {
    const { store, ring } = setUp();
    await store.insert(kiosk());
    assert.equal(await ring.identify(SECRET, { lookUp: false }, T0), undefined);
    assert.equal(store.digestLookups, 0);
    await ring.refresh(T0);
    assert.ok(await ring.identify(SECRET, { lookUp: false }, T0 + 1));
  });

  it('should refuse a key revoked on another replica once this one refreshes', async () => {
    const { store, ring } = setUp();
    await store.insert(kiosk());
    await ring.refresh(T0);
    assert.ok(await ring.identify(SECRET, lookUp, T0 + 1));
    await store.revoke('kioskKey0001', new Date(T0 + 2));
    await ring.refresh(T0 + 2000);
    assert.equal(await ring.identify(SECRET, lookUp, T0 + 2001), undefined);
  });

  it('should refuse a key revoked on this replica at once, even if a refresh begun before brings it back', async () => {
    const { store, ring } = setUp();
    await store.insert(kiosk());
    await ring.refresh(T0);
    let release!: () => void;
    store.hold = new Promise((resolve) => (release = resolve));
    const refreshing = ring.refresh(T0 + 10);
    // The read above saw the key in force; the revocation commits while it is in flight.
    await store.revoke('kioskKey0001', new Date(T0 + 20));
    ring.forget('kioskKey0001', T0 + 20);
    assert.equal(await ring.identify(SECRET, lookUp, T0 + 21), undefined);
    release();
    await refreshing;
    assert.equal(await ring.identify(SECRET, lookUp, T0 + 30), undefined);
  });

  it('should not trust a key set older than its maximum age: a failing refresh means lookups', async () => {
    const { store, ring } = setUp();
    await store.insert(kiosk());
    await ring.refresh(T0);
    store.failWith = new Error('connect ECONNREFUSED');
    await assert.rejects(ring.refresh(T0 + 2000));
    store.failWith = undefined;
    // Revoked where this replica cannot see it through its (now stale) set.
    store.keys.get('kioskKey0001')!.revokedAt = new Date(T0 + 3000);
    assert.ok(await ring.identify(SECRET, lookUp, T0 + KEY_SET_MAX_AGE_MS));
    assert.equal(store.digestLookups, 0);
    assert.equal(await ring.identify(SECRET, lookUp, T0 + KEY_SET_MAX_AGE_MS + 1), undefined);
    assert.equal(store.digestLookups, 1);
  });

  it('should refuse an expired key from the first request after its expiry, cached or not', async () => {
    const { store, ring } = setUp();
    await store.insert(kiosk({ expiresAt: new Date(T0 + 1000) }));
    await ring.refresh(T0);
    assert.ok(await ring.identify(SECRET, lookUp, T0 + 999));
    assert.equal(await ring.identify(SECRET, lookUp, T0 + 1000), undefined);
  });

  it('should answer a database failure on a lookup as one (503), not as a wrong key', async () => {
    const { store, ring } = setUp();
    store.failWith = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await assert.rejects(ring.identify(SECRET, lookUp, T0), { name: 'DatabaseUnavailableError' });
  });

  it('should write when a key was last used at most once a minute, at the next refresh', async () => {
    const { store, ring } = setUp();
    await store.insert(kiosk());
    await ring.refresh(T0);
    await ring.identify(SECRET, lookUp, T0 + 1);
    assert.equal(store.keys.get('kioskKey0001')!.lastUsedAt, null);
    await ring.refresh(T0 + 2000);
    assert.deepEqual(store.keys.get('kioskKey0001')!.lastUsedAt, new Date(T0 + 1));
    await ring.identify(SECRET, lookUp, T0 + 2001);
    await ring.refresh(T0 + 4000);
    assert.deepEqual(store.keys.get('kioskKey0001')!.lastUsedAt, new Date(T0 + 1));
    await ring.identify(SECRET, lookUp, T0 + 1 + LAST_USED_EVERY_MS);
    await ring.refresh(T0 + 2 + LAST_USED_EVERY_MS);
    assert.deepEqual(
      store.keys.get('kioskKey0001')!.lastUsedAt,
      new Date(T0 + 1 + LAST_USED_EVERY_MS),
    );
  });
});
