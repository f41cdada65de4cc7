// Scoped keys on MariaDB across two replicas of the service (issue 23, item 4's key tests): a key
// made on one works on the other at once, and a revocation made on one refuses the key on the
// other within 5 s. Each route's scope and 403 are the contract tier's (contract/keys).
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { DataSource } from 'typeorm';
import { fixture, startApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

const ADMIN = 'replica-admin-key-0123456789';
/** The promise: a revoked key is refused on every replica within this. */
const REVOCATION_BOUND_MS = 5000;

interface CreatedKey {
  id: string;
  secret: string;
}

describe('scoped keys across two replicas on one MariaDB', () => {
  let database: TestDatabase;
  let first: INestApplication;
  let second: INestApplication;
  let one: App;
  let two: App;

  before(async () => {
    database = await createTestDatabase();
    const env = { DATABASE_URL: database.url, API_KEYS: ADMIN, FACE_WORKERS: '1' };
    first = await startApp(env);
    second = await startApp({ ...env, DB_RUN_MIGRATIONS: 'false' });
    one = first.getHttpServer() as App;
    two = second.getHttpServer() as App;
  });

  after(async () => {
    await first?.close();
    await second?.close();
    await database?.drop();
  });

  const create = async (server: App, body: Record<string, unknown>) =>
    (
      await request(server)
        .post('/keys')
        .set('X-API-Key', ADMIN)
        .send({ collection: 'default', ...body })
        .expect(201)
    ).body as CreatedKey;

  /** Polls `server` with `secret` until it is refused; how long that took. */
  async function refusedWithin(server: App, secret: string, since: number): Promise<number> {
    for (;;) {
      const response = await request(server).get('/subjects').set('X-API-Key', secret);
      if (response.status === 401) return Date.now() - since;
      assert.equal(response.status, 200);
      if (Date.now() - since > REVOCATION_BOUND_MS + 2000) return Date.now() - since;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('should let a key made on one replica in on the other at once, to compare real faces', async () => {
    const kiosk = await create(one, { name: 'kiosk', scopes: ['enrol', 'verify', 'read'] });
    const enrolled = await request(two)
      .post('/upload_reference')
      .set('X-API-Key', kiosk.secret)
      .attach('image', fixture('person-a-1.jpg'), 'a.jpg')
      .expect(200);
    const compared = await request(two)
      .post('/compare_with_reference')
      .set('X-API-Key', kiosk.secret)
      .field('reference_key', (enrolled.body as { key: string }).key)
      .attach('image', fixture('person-a-2.jpg'), 'a2.jpg')
      .expect(200);
    assert.equal((compared.body as { result: { verified: boolean } }).result.verified, true);
    // The same key may not download the photo it enrolled.
    await request(two)
      .get(`/references/${(enrolled.body as { key: string }).key}/image`)
      .set('X-API-Key', kiosk.secret)
      .expect(403, { detail: "This key may not download photos: it lacks the scope 'images'" });
  });

  it('should refuse a key revoked on one replica there at once, and on the other within 5 s', async (t) => {
    const doomed = await create(one, { name: 'doomed', scopes: ['read'] });
    // Both replicas know the key, the second from its memory.
    await request(one).get('/subjects').set('X-API-Key', doomed.secret).expect(200);
    await request(two).get('/subjects').set('X-API-Key', doomed.secret).expect(200);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await request(two).get('/subjects').set('X-API-Key', doomed.secret).expect(200);

    const revokedAt = Date.now();
    await request(one).delete(`/keys/${doomed.id}`).set('X-API-Key', ADMIN).expect(200);
    await request(one).get('/subjects').set('X-API-Key', doomed.secret).expect(401);
    const elapsed = await refusedWithin(two, doomed.secret, revokedAt);
    t.diagnostic(`revoked on one replica, refused on the other after ${elapsed} ms`);
    assert.ok(elapsed <= REVOCATION_BOUND_MS, `still accepted ${elapsed} ms after revocation`);
  });

  it('should refuse an expired key on both replicas', async () => {
    const brief = await create(one, {
      name: 'brief',
      scopes: ['read'],
      expires_at: new Date(Date.now() + 2000).toISOString(),
    });
    await request(two).get('/subjects').set('X-API-Key', brief.secret).expect(200);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await request(one).get('/subjects').set('X-API-Key', brief.secret).expect(401);
    await request(two).get('/subjects').set('X-API-Key', brief.secret).expect(401);
  });

  it('should show on either replica when a key was last used, and never a secret in the tables', async () => {
    const used = await create(one, { name: 'used', scopes: ['read'] });
    await request(two).get('/subjects').set('X-API-Key', used.secret).expect(200);
    let lastUsed: string | null = null;
    for (let attempt = 0; attempt < 50 && !lastUsed; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const listing = await request(one).get('/keys').set('X-API-Key', ADMIN).expect(200);
      const keys = (listing.body as { keys: { id: string; last_used_at: string | null }[] }).keys;
      lastUsed = keys.find(({ id }) => id === used.id)?.last_used_at ?? null;
      assert.ok(!JSON.stringify(listing.body).includes(used.secret.slice(3)));
    }
    assert.ok(lastUsed, 'last_used_at never written');
    const sql = first.get(DataSource);
    const rows = JSON.stringify([
      await sql.query('SELECT * FROM api_keys'),
      await sql.query('SELECT * FROM audit_log'),
    ]);
    assert.ok(rows.includes(used.id));
    assert.ok(!rows.includes(used.secret.slice(3)), 'a secret in api_keys or audit_log');
  });
});
