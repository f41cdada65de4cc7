import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { fixture } from '../support/app.js';
import { startContractApp } from '../support/contract-app.js';

const KEY_ONE = 'first-key-0123456789';
const KEY_TWO = 'second-key-0123456789';

describe('access control, rate limiting and headers', () => {
  let app: INestApplication;
  let server: App;

  before(async () => {
    app = (
      await startContractApp({
        API_KEYS: `${KEY_ONE},${KEY_TWO}`,
        RATE_LIMIT_PER_MINUTE: '12',
        CORS_ORIGINS: 'https://app.example.com',
      })
    ).app;
    server = app.getHttpServer() as App;
  });

  after(async () => {
    await app?.close();
  });

  it('should answer 401 {"detail": "Not authenticated"} without a key, on every endpoint', async () => {
    const unauthorised = { detail: 'Not authenticated' };
    await request(server).get('/list_references').expect(401, unauthorised);
    await request(server)
      .post('/upload_reference')
      .attach('image', fixture('person-a-1.jpg'), 'a.jpg')
      .expect(401, unauthorised);
    await request(server)
      .post('/compare_with_reference')
      .field('reference_key', 'abc')
      .expect(401, unauthorised);
    await request(server).get('/subjects/amy').expect(401, unauthorised);
    await request(server).put('/subjects/amy').send({ metadata: {} }).expect(401, unauthorised);
    await request(server).delete('/subjects/amy').expect(401, unauthorised);
    const deleted = await request(server).delete('/delete_reference/abc').expect(401, unauthorised);
    assert.equal(deleted.headers['www-authenticate'], 'Bearer');
  });

  it('should refuse a wrong key, whatever the header', async () => {
    await request(server).get('/list_references').set('X-API-Key', `${KEY_ONE}x`).expect(401);
    await request(server)
      .get('/list_references')
      .set('Authorization', `Bearer ${KEY_ONE.slice(0, -1)}`)
      .expect(401);
    await request(server).get('/list_references').set('Authorization', KEY_ONE).expect(401);
  });

  it('should accept any configured key in X-API-Key or as a bearer token', async () => {
    await request(server).get('/list_references').set('X-API-Key', KEY_TWO).expect(200);
    await request(server)
      .get('/list_references')
      .set('Authorization', `Bearer ${KEY_ONE}`)
      .expect(200);
  });

  it('should leave health and the docs open', async () => {
    await request(server).get('/health/live').expect(200);
    await request(server).get('/health/ready').expect(200);
    await request(server).get('/docs-json').expect(200);
  });

  it('should send security headers and no X-Powered-By', async () => {
    const response = await request(server).get('/health/live').expect(200);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.ok(response.headers['content-security-policy']);
    assert.equal(response.headers['x-powered-by'], undefined);
  });

  it('should allow only the configured CORS origin', async () => {
    const allowed = await request(server)
      .get('/health/live')
      .set('Origin', 'https://app.example.com');
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example.com');
    // A browser script that retries writes reads these two only if they are exposed.
    assert.equal(
      allowed.headers['access-control-expose-headers'],
      'Idempotent-Replayed,Retry-After',
    );
    const other = await request(server).get('/health/live').set('Origin', 'https://evil.example');
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  it('should answer 429 with Retry-After once a client goes over the limit', async () => {
    const statuses: number[] = [];
    let limited: request.Response | undefined;
    for (let attempt = 0; attempt < 14 && !limited; attempt++) {
      const response = await request(server).get('/list_references').set('X-API-Key', KEY_ONE);
      statuses.push(response.status);
      if (response.status === 429) limited = response;
    }
    assert.ok(limited, `no 429 in ${statuses.join(',')}`);
    assert.match((limited.body as { detail: string }).detail, /^Too many requests/);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    // Health checks are never limited.
    await request(server).get('/health/live').expect(200);
  });
});

describe('without API_KEYS or CORS_ORIGINS', () => {
  it('should need no key and send no CORS headers', async () => {
    const app = (await startContractApp()).app;
    try {
      const server = app.getHttpServer() as App;
      const response = await request(server)
        .get('/list_references')
        .set('Origin', 'https://app.example.com')
        .expect(200);
      assert.equal(response.headers['access-control-allow-origin'], undefined);
    } finally {
      await app.close();
    }
  });
});
