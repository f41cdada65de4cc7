// /console: the built console served by the service, without a key, under a policy that allows no
// inline script or style. What it does in a browser is test/console.e2e-spec.ts.
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { startContractApp } from '../support/contract-app.js';

describe('GET /console', () => {
  let app: INestApplication;
  let server: App;

  before(async () => {
    ({ app } = await startContractApp({ API_KEYS: 'console-contract-key-0123' }));
    server = app.getHttpServer() as App;
  });

  after(async () => {
    await app?.close();
  });

  it('should serve the page without a key, revalidated, under a policy with no inline code', async () => {
    const page = await request(server).get('/console/').expect(200).expect('Content-Type', /html/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    const policy = String(page.headers['content-security-policy']);
    assert.match(policy, /script-src 'self'(;|$)/);
    assert.match(policy, /style-src 'self'(;|$)/);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(page.text, /<script>|<style|style=/, 'no inline script or style');
    await request(server).get('/console').expect(301).expect('Location', '/console/');
  });

  it('should serve each file the page names, cached for good: their names carry their hash', async () => {
    const page = await request(server).get('/console/').expect(200);
    const files = [...page.text.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map(
      (match) => match[1],
    );
    assert.ok(
      files.some((file) => file.endsWith('.js')) && files.some((file) => file.endsWith('.css')),
    );
    for (const file of files) {
      const asset = await request(server).get(file).expect(200);
      assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable', file);
    }
  });

  it('should answer 404 for a file the console does not have', async () => {
    await request(server).get('/console/assets/missing.js').expect(404, { detail: 'Not Found' });
  });

  it('should still ask the API itself for a key', async () => {
    await request(server).get('/subjects').expect(401);
  });
});
