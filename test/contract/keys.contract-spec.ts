// Scoped keys on the fake engine and SQLite (issue 23, items 2 and 5): every route's scope and its
// 403, /keys and its validation, the secret only in the create answer, revocation and expiry on
// one replica. Revocation across replicas is the e2e tier's (test/keys.e2e-spec.ts).
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { DataSource } from 'typeorm';
import { SCOPES, type Scope } from '../../src/auth/scopes.js';
import { startContractApp } from '../support/contract-app.js';
import { EVERY_COLLECTION_ROUTES, ROUTE_SCOPES, routesOf } from '../support/routes.js';

const ADMIN = 'admin-key-0123456789';

/** A request to `route` with `key`, with made-up names in its path and no body. */
function call(server: App, route: string, key: string) {
  const [method, path] = route.split(' ');
  const url = path
    .replace(':subject', 'amy')
    .replace(':key', '0123456789abcdef0123456789abcdef')
    .replace(':id', 'q3VxY2Fk9LmZ')
    .replace(':collection', 'kiosks');
  const verb = method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
  return request(server)[verb](url).set('X-API-Key', key);
}

interface CreatedKey {
  id: string;
  secret: string;
  name: string;
  collection: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
}

async function createKey(
  server: App,
  body: Record<string, unknown>,
  key = ADMIN,
): Promise<CreatedKey> {
  const response = await request(server)
    .post('/keys')
    .set('X-API-Key', key)
    .send({ collection: 'default', ...body })
    .expect(201);
  return response.body as CreatedKey;
}

describe('scoped keys', () => {
  let app: INestApplication;
  let server: App;

  before(async () => {
    app = (await startContractApp({ API_KEYS: ADMIN })).app;
    server = app.getHttpServer() as App;
  });

  after(async () => {
    await app?.close();
  });

  it('should name a scope on every route that is not public, as the issue gives them', () => {
    const routes = routesOf(app);
    // A walk that finds nothing would pass whatever the routes say.
    assert.ok(routes.some(({ route }) => route === 'GET /health/live' || route === 'GET /metrics'));
    const unscoped = routes.filter(({ isPublic, scope }) => !isPublic && scope === undefined);
    assert.deepEqual(unscoped, [], 'routes without @RequiresScope');
    assert.deepEqual(
      routes
        .filter(({ isPublic }) => !isPublic)
        .map(({ route, scope, action }) => [route, scope, action])
        .sort(),
      [...ROUTE_SCOPES].sort(),
    );
  });

  it('should answer 403 {"detail"} on every route to a key holding every scope but its own, and record it', async () => {
    const holders = new Map<Scope, CreatedKey>();
    for (const scope of SCOPES) {
      holders.set(
        scope,
        await createKey(server, {
          name: `all but ${scope}`,
          scopes: SCOPES.filter((other) => other !== scope),
        }),
      );
    }
    for (const [route, scope, action] of ROUTE_SCOPES) {
      const lacking = holders.get(scope)!;
      const requestId = `scope-${randomUUID()}`;
      const refused = await call(server, route, lacking.secret).set('X-Request-Id', requestId);
      assert.equal(refused.status, 403, route);
      assert.deepEqual(refused.body, {
        detail: `This key may not ${action}: it lacks the scope '${scope}'`,
      });
      const [entry] = await app
        .get(DataSource)
        .query<{ key_id: string; outcome: number }[]>(
          'SELECT key_id, outcome FROM audit_log WHERE request_id = ?',
          [requestId],
        );
      assert.deepEqual(
        { ...entry, outcome: Number(entry?.outcome) },
        {
          key_id: lacking.id,
          outcome: 403,
        },
      );
      // Any other key holds the scope: whatever the route answers then, it is not a refusal. A
      // route that reaches every collection takes a key of every collection as well.
      const other = EVERY_COLLECTION_ROUTES.includes(route)
        ? ADMIN
        : holders.get(scope === 'admin' ? 'read' : 'admin')!.secret;
      const allowed = await call(server, route, other);
      if (EVERY_COLLECTION_ROUTES.includes(route)) {
        // A key with admin but bound to one collection may not reach every collection.
        const bound = await call(server, route, holders.get('read')!.secret);
        assert.equal(bound.status, 403, route);
        assert.deepEqual(bound.body, {
          detail: `This key may not ${action}: it works on the collection 'default' only`,
        });
      }
      assert.ok(![401, 403].includes(allowed.status), `${route} -> ${allowed.status}`);
    }
  });

  it('should show the secret once: in the create answer, never in a listing, the trail or the table', async () => {
    const created = await createKey(server, {
      name: 'front-door kiosk',
      scopes: ['verify', 'read'],
      expires_at: '2099-01-01T00:00:00Z',
    });
    assert.match(created.secret, /^fg_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(
      { ...created, id: undefined, secret: undefined, created_at: undefined },
      {
        id: undefined,
        secret: undefined,
        created_at: undefined,
        name: 'front-door kiosk',
        collection: 'default',
        scopes: ['verify', 'read'],
        expires_at: '2099-01-01T00:00:00.000Z',
      },
    );
    await request(server).get('/list_references').set('X-API-Key', created.secret).expect(200);
    const listing = await request(server).get('/keys').set('X-API-Key', ADMIN).expect(200);
    const listed = (listing.body as { keys: Record<string, unknown>[] }).keys.find(
      ({ id }) => id === created.id,
    );
    assert.deepEqual(Object.keys(listed ?? {}).sort(), [
      'collection',
      'created_at',
      'expires_at',
      'id',
      'last_used_at',
      'name',
      'revoked_at',
      'scopes',
    ]);
    const body = created.secret.slice(3);
    assert.ok(!JSON.stringify(listing.body).includes(body), 'GET /keys shows a secret');
    const rows = JSON.stringify([
      await app.get(DataSource).query('SELECT * FROM audit_log'),
      await app.get(DataSource).query('SELECT * FROM api_keys'),
    ]);
    assert.ok(rows.includes(created.id));
    assert.ok(!rows.includes(body), 'a secret is stored');
  });

  it('should record the making and the revoking of a key in the trail, by the key that did it', async () => {
    const made = `key-made-${randomUUID()}`;
    const { id } = (
      await request(server)
        .post('/keys')
        .set('X-API-Key', ADMIN)
        .set('X-Request-Id', made)
        .send({ name: 'audited', collection: 'default', scopes: ['read'] })
        .expect(201)
    ).body as CreatedKey;
    const revoked = `key-revoked-${randomUUID()}`;
    await request(server)
      .delete(`/keys/${id}`)
      .set('X-API-Key', ADMIN)
      .set('X-Request-Id', revoked)
      .expect(200);
    const rows = await app
      .get(DataSource)
      .query<{ action: string; outcome: number; key_name: string }[]>(
        'SELECT action, outcome, key_name FROM audit_log WHERE request_id IN (?, ?) ORDER BY id',
        [made, revoked],
      );
    assert.deepEqual(
      rows.map((row) => ({ ...row, outcome: Number(row.outcome) })),
      [
        { action: 'key-create', outcome: 201, key_name: 'api-keys[0]' },
        { action: 'key-revoke', outcome: 200, key_name: 'api-keys[0]' },
      ],
    );
  });

  it('should refuse a revoked key at once, and answer its listing with revoked_at', async () => {
    const created = await createKey(server, { name: 'to revoke', scopes: ['read'] });
    await request(server).get('/subjects').set('X-API-Key', created.secret).expect(200);
    const revoked = await request(server)
      .delete(`/keys/${created.id}`)
      .set('X-API-Key', ADMIN)
      .expect(200);
    assert.equal((revoked.body as { id: string }).id, created.id);
    assert.ok(Date.parse((revoked.body as { revoked_at: string }).revoked_at) > 0);
    await request(server)
      .get('/subjects')
      .set('X-API-Key', created.secret)
      .expect(401, { detail: 'Not authenticated' });
    // Again: nothing changes, the same answer.
    const again = await request(server)
      .delete(`/keys/${created.id}`)
      .set('X-API-Key', ADMIN)
      .expect(200);
    assert.equal(
      (again.body as { revoked_at: string }).revoked_at,
      (revoked.body as { revoked_at: string }).revoked_at,
    );
    await request(server)
      .delete('/keys/nosuchkey000')
      .set('X-API-Key', ADMIN)
      .expect(404, { detail: 'No API key found with id: nosuchkey000' });
  });

  it('should refuse an expired key from its expiry on', async () => {
    const created = await createKey(server, {
      name: 'short-lived',
      scopes: ['read'],
      expires_at: new Date(Date.now() + 1500).toISOString(),
    });
    await request(server).get('/subjects').set('X-API-Key', created.secret).expect(200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    await request(server).get('/subjects').set('X-API-Key', created.secret).expect(401);
  });

  it("should let a key grant only scopes it holds, for its own collection, and manage only its collection's keys", async () => {
    const manager = await createKey(server, { name: 'manager', scopes: ['admin', 'read'] });
    await request(server)
      .post('/keys')
      .set('X-API-Key', manager.secret)
      .send({ name: 'x', collection: 'default', scopes: ['read', 'images'] })
      .expect(403, { detail: "This key may not grant the scope 'images': it lacks it itself" });
    const granted = await createKey(server, { name: 'reader', scopes: ['read'] }, manager.secret);
    assert.deepEqual(granted.scopes, ['read']);
    await request(server).get('/subjects').set('X-API-Key', granted.secret).expect(200);
  });

  it('should answer 400 {"detail"} for a body /keys cannot take', async () => {
    const refused = async (body: Record<string, unknown>, detail: RegExp) => {
      const response = await request(server).post('/keys').set('X-API-Key', ADMIN).send(body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match((response.body as { detail: string }).detail, detail);
    };
    const valid = { name: 'kiosk', collection: 'default', scopes: ['verify'] };
    await refused({ ...valid, name: undefined }, /name/);
    await refused({ ...valid, name: 'tab\there' }, /name must be printable text/);
    await refused({ ...valid, name: 'n'.repeat(129) }, /name must be shorter/);
    await refused({ ...valid, collection: undefined }, /collection/);
    await refused({ ...valid, collection: 'lobby' }, /^No collection named: lobby$/);
    await refused({ ...valid, scopes: [] }, /scopes should not be empty/);
    await refused({ ...valid, scopes: 'verify' }, /scopes must be an array/);
    await refused({ ...valid, scopes: ['verify', 'fly'] }, /each scope must be one of enrol/);
    await refused({ ...valid, scopes: ['read', 'read'] }, /unique/);
    await refused({ ...valid, expires_at: 'tomorrow' }, /expires_at must be an ISO 8601/);
    await refused(
      { ...valid, expires_at: '2001-01-01T00:00:00Z' },
      /^expires_at must be in the future$/,
    );
  });
});

describe('/keys without API_KEYS', () => {
  it('should refuse to make, list or revoke keys that nothing would check: 409 {"detail"}', async () => {
    const { app } = await startContractApp();
    try {
      const server = app.getHttpServer() as App;
      const detail =
        'API keys are not checked: API_KEYS is unset, so every request is let in. Set ' +
        'API_KEYS (an admin key) to manage scoped keys';
      await request(server)
        .post('/keys')
        .send({ name: 'kiosk', collection: 'default', scopes: ['verify'] })
        .expect(409, { detail });
      await request(server).get('/keys').expect(409, { detail });
      await request(server).delete('/keys/q3VxY2Fk9LmZ').expect(409, { detail });
      // The seed's endpoints answer as they always did.
      await request(server).get('/list_references').expect(200);
    } finally {
      await app.close();
    }
  });
});
