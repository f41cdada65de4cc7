import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { upload } from '../support/calls.js';
import { startContractApp } from '../support/contract-app.js';

/** The person routes' writes are idempotent like the old routes' (issue 22, item 4). */
describe('PUT and DELETE /subjects/{subject} with an Idempotency-Key', () => {
  let app: INestApplication;
  let server: App;

  before(async () => {
    app = (await startContractApp()).app;
    server = app.getHttpServer() as App;
  });

  after(async () => {
    await app?.close();
  });

  const enrolAs = async (subject: string, name = 'person-a-1.jpg') =>
    upload(server, name, { subject }).expect(200);
  const put = (subject: string, key: string, metadata: Record<string, unknown>) =>
    request(server).put(`/subjects/${subject}`).set('Idempotency-Key', key).send({ metadata });
  const erase = (subject: string, key: string) =>
    request(server).delete(`/subjects/${subject}`).set('Idempotency-Key', key);

  it('should replay a PUT retried with the same key, and refuse the key for other metadata', async () => {
    await enrolAs('ann');
    const first = await put('ann', 'put-ann-1', { badge: 7 }).expect(200);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const again = await put('ann', 'put-ann-1', { badge: 7 }).expect(200);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.deepEqual(again.body, first.body);
    const reused = await put('ann', 'put-ann-1', { badge: 8 }).expect(422);
    assert.match((reused.body as { detail: string }).detail, /Idempotency-Key/);
    const person = await request(server).get('/subjects/ann').expect(200);
    assert.deepEqual((person.body as { metadata: unknown }).metadata, { badge: 7 });
  });

  it('should answer a retried erasure with its first answer, not a 404', async () => {
    await enrolAs('bea', 'person-a-1.jpg');
    await enrolAs('bea', 'person-a-2.jpg');
    const first = await erase('bea', 'erase-bea').expect(200, { success: true, deleted: 2 });
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const again = await erase('bea', 'erase-bea').expect(200, { success: true, deleted: 2 });
    assert.equal(again.headers['idempotent-replayed'], 'true');
    await request(server).get('/subjects/bea').expect(404);
  });

  it('should not spend a key on an erasure that found nobody', async () => {
    await erase('cid', 'erase-cid').expect(404);
    await erase('cid', 'erase-cid').expect(404);
    await enrolAs('cid');
    await erase('cid', 'erase-cid').expect(200, { success: true, deleted: 1 });
  });
});
