import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { generateOpenApiDocument } from '../src/openapi.js';
import { fixture, startApp } from './support/app.js';
import { runRoundTrip } from './support/round-trip.js';
import { TEST_FACE_BACKEND } from './support/test-backend.js';

describe('embedded SQLite default (no DATABASE_URL)', () => {
  let app: INestApplication;

  before(async () => {
    // A limit above the fixtures' sizes and below the oversized upload of the 413 test.
    app = await startApp({ MAX_UPLOAD_BYTES: '100000' });
  });

  after(async () => {
    await app?.close();
  });

  it('should serve the full client round trip', async () => {
    await runRoundTrip(app);
  });

  it('should answer 413 naming the limit for an upload over MAX_UPLOAD_BYTES', async () => {
    const server = app.getHttpServer() as App;
    await request(server)
      .post('/upload_reference')
      .attach('image', Buffer.concat([fixture('person-a-2.jpg'), Buffer.alloc(30_000)]), 'big.jpg')
      .expect(413, { detail: 'Uploaded file is larger than the limit of 100000 bytes' });
  });

  it('should serve Swagger UI at /docs and the generated document at /docs-json', async () => {
    const server = app.getHttpServer() as App;
    const page = await request(server).get('/docs').expect(200);
    assert.match(page.text, /swagger-ui/i);
    const json = await request(server).get('/docs-json').expect(200);
    assert.deepEqual(json.body, JSON.parse(JSON.stringify(await generateOpenApiDocument())));
  });

  it('should report ready with the backend in use', async () => {
    const server = app.getHttpServer() as App;
    await request(server).get('/health/live').expect(200, { status: 'ok' });
    const ready = await request(server).get('/health/ready').expect(200);
    const body = ready.body as { status: string; info: { faceEngine: { backend: string } } };
    assert.equal(body.status, 'ok');
    assert.equal(body.info.faceEngine.backend, TEST_FACE_BACKEND);
  });
});
