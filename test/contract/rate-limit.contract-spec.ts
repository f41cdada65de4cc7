import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { startContractApp } from '../support/contract-app.js';

const KEY = 'rate-limit-key-0123456789';
const UNKNOWN_REFERENCE = '0'.repeat(32);

describe('rate limits per client, behind a trusted reverse proxy', () => {
  let app: INestApplication;
  let server: App;

  before(async () => {
    app = (
      await startContractApp({
        FACE_WORKERS: '1',
        API_KEYS: KEY,
        RATE_LIMIT_PER_MINUTE: '6',
        RATE_LIMIT_INFERENCE_PER_MINUTE: '2',
        AUTH_FAILURES_PER_MINUTE: '3',
        // The tests' connections come from 127.0.0.1, as from a proxy on the same host.
        TRUST_PROXY: 'loopback',
      })
    ).app;
    server = app.getHttpServer() as App;
  });

  after(async () => {
    await app?.close();
  });

  /** A request from `client` as the proxy reports it, with the API key unless told otherwise. */
  const from = (
    client: string,
    method: 'get' | 'post' | 'delete',
    path: string,
    key: string | null = KEY,
  ) => {
    const call = request(server)[method](path).set('X-Forwarded-For', client);
    return key === null ? call : call.set('X-API-Key', key);
  };

  const assertLimited = (response: request.Response, detail: RegExp): void => {
    assert.equal(response.status, 429, JSON.stringify(response.body));
    assert.match((response.body as { detail: string }).detail, detail);
    assert.ok(Number(response.headers['retry-after']) > 0, 'Retry-After in seconds');
  };

  it('should count every route against one budget per client', async () => {
    const client = '198.51.100.1';
    const answers = [];
    for (const path of ['/list_references', '/subjects', `/references/${UNKNOWN_REFERENCE}`]) {
      answers.push((await from(client, 'get', path)).status);
      answers.push((await from(client, 'get', path)).status);
    }
    assert.deepEqual(answers, [200, 200, 200, 200, 404, 404]);
    // A route this client has not called yet: the budget is spent all the same.
    assertLimited(
      await from(client, 'delete', `/delete_reference/${UNKNOWN_REFERENCE}`),
      /^Too many requests/,
    );
    assertLimited(await from(client, 'delete', '/subjects/amy'), /^Too many requests/);
    // Another client behind the same proxy has a budget of its own.
    await from('198.51.100.2', 'get', '/list_references').expect(200);
    // Writing another address on the left of X-Forwarded-For changes nothing: the proxy appends
    // the address it saw, and only that one is believed.
    assertLimited(
      await from(`203.0.113.99, ${client}`, 'get', '/list_references'),
      /^Too many requests/,
    );
  });

  it('should give the routes that analyse a photo a budget of their own, within the general one', async () => {
    const client = '198.51.100.3';
    // No image: 422 once the request is through the guards, before any inference.
    await from(client, 'post', '/identify').expect(422);
    await from(client, 'post', '/verify').expect(422);
    assertLimited(await from(client, 'post', '/upload_reference'), /^Too many requests/);
    // Routes without inference still answer.
    await from(client, 'get', '/list_references').expect(200);
  });

  it('should not spend the general budget on requests the inference budget refuses', async () => {
    const client = '198.51.100.6';
    await from(client, 'post', '/identify').expect(422);
    await from(client, 'post', '/verify').expect(422);
    for (let attempt = 0; attempt < 4; attempt++) {
      assertLimited(await from(client, 'post', '/upload_reference'), /^Too many requests/);
    }
    // Two of the six spent: the four refused cost nothing.
    for (let attempt = 0; attempt < 3; attempt++) {
      await from(client, 'get', '/list_references').expect(200);
    }
    const last = await from(client, 'get', '/list_references').expect(200);
    assert.equal(last.headers['x-ratelimit-limit'], '6');
    assert.equal(last.headers['x-ratelimit-remaining'], '0');
    assertLimited(await from(client, 'get', '/subjects'), /^Too many requests/);
  });

  it('should lock out the guesses from an address that keeps failing authentication, not its valid keys', async () => {
    const client = '198.51.100.4';
    await from(client, 'get', '/list_references', null).expect(401);
    await from(client, 'get', '/list_references', `${KEY}x`).expect(401);
    await from(client, 'get', '/subjects', 'wrong-key-0123456789').expect(401);
    assertLimited(
      await from(client, 'get', '/list_references', 'wrong-key-0123456789'),
      /^Too many failed authentication attempts/,
    );
    assertLimited(
      await from(client, 'get', '/list_references', null),
      /^Too many failed authentication attempts/,
    );
    // A key holder behind the same address (a NAT, a proxy) is not locked out by the guesser.
    await from(client, 'get', '/list_references').expect(200);
    await from(client, 'get', '/list_references', `${KEY}x`).expect(429);
    // Health stays open, and other addresses are not affected.
    await from(client, 'get', '/health/live', null).expect(200);
    await from('198.51.100.5', 'get', '/list_references').expect(200);
  });
});

describe('rate limits without TRUST_PROXY', () => {
  it('should ignore X-Forwarded-For and tell clients apart by their connection', async () => {
    const app = (await startContractApp({ FACE_WORKERS: '1', RATE_LIMIT_PER_MINUTE: '2' })).app;
    try {
      const server = app.getHttpServer() as App;
      const get = (client: string) =>
        request(server).get('/list_references').set('X-Forwarded-For', client);
      await get('198.51.100.10').expect(200);
      await get('198.51.100.11').expect(200);
      const third = await get('198.51.100.12');
      assert.equal(third.status, 429, 'a new X-Forwarded-For is no new budget');
    } finally {
      await app.close();
    }
  });
});
