// The audit trail's two promises on MariaDB with the real models (issue 23, item 3): a write's
// entry is committed with the write or not at all, and a read that cannot be recorded is not
// answered. The entries each route writes are the contract tier's (test/contract/audit).
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { DataSource } from 'typeorm';
import { fixture, startApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

describe('the audit trail on MariaDB', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let http: App;
  let key: string;
  const sql = (text: string, parameters: unknown[] = []) =>
    app.get(DataSource).query<Record<string, unknown>[]>(text, parameters);
  const outcomesOf = async (requestId: string) =>
    (await sql('SELECT outcome FROM audit_log WHERE request_id = ? ORDER BY id', [requestId])).map(
      (row) => Number(row.outcome),
    );

  before(async () => {
    database = await createTestDatabase();
    app = await startApp({ DATABASE_URL: database.url });
    http = app.getHttpServer() as App;
    const enrolled = await request(http)
      .post('/upload_reference')
      .attach('image', fixture('person-a-1.jpg'), 'a.jpg')
      .field('subject', 'hal')
      .expect(200);
    key = (enrolled.body as { key: string }).key;
  });

  after(async () => {
    await app?.close();
    await database?.drop();
  });

  it('should leave no entry of a write whose transaction rolled back after the entry was written', async () => {
    // The write's last statement, after its audit entry (the outer participant), fails: the
    // idempotency key's answer, refused by a trigger.
    await sql(
      "CREATE TRIGGER refuse_answers BEFORE UPDATE ON idempotency_keys FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test'",
    );
    const id = `audit-rollback-${randomUUID()}`;
    try {
      await request(http)
        .put('/subjects/hal')
        .set('Idempotency-Key', id)
        .set('X-Request-Id', id)
        .send({ metadata: { badge: 7 } })
        .expect(500);
    } finally {
      await sql('DROP TRIGGER refuse_answers');
    }
    // Only the failure's own entry: the 200 written inside the transaction went with it.
    assert.deepEqual(await outcomesOf(id), [500]);
    const person = await request(http).get('/subjects/hal').expect(200);
    assert.deepEqual((person.body as { metadata: unknown }).metadata, {});

    const committed = `audit-commit-${randomUUID()}`;
    await request(http)
      .put('/subjects/hal')
      .set('X-Request-Id', committed)
      .send({ metadata: { badge: 8 } })
      .expect(200);
    assert.deepEqual(await outcomesOf(committed), [200]);
  });

  it('should answer a read 503 {"detail"} when its entry cannot be written, and 200 once it can', async () => {
    await sql('RENAME TABLE audit_log TO audit_log_away');
    try {
      for (const path of ['/subjects/hal', `/references/${key}/image`]) {
        const response = await request(http).get(path).expect(503);
        assert.deepEqual(response.body, {
          detail:
            'Audit trail unavailable: the request could not be recorded, so it was not answered',
        });
      }
    } finally {
      await sql('RENAME TABLE audit_log_away TO audit_log');
    }
    const id = `audit-read-${randomUUID()}`;
    await request(http).get(`/references/${key}/image`).set('X-Request-Id', id).expect(200);
    assert.deepEqual(await outcomesOf(id), [200]);
  });
});
