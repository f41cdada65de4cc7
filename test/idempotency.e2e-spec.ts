// Idempotent writes (issue 22, item 4) on both stores the service runs on: a retry with the same
// Idempotency-Key gets the first answer again and enrols nothing, also after a dropped
// connection, a restart, and while the first is still running; the keys are per API key.
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { DataSource, type EntityManager } from 'typeorm';
import { IdempotencyKeyEntity } from '../src/idempotency/idempotency-key.entity.js';
import { IdempotencyKeyLostError, IdempotencyStore } from '../src/idempotency/idempotency-store.js';
import { withWriteParticipant } from '../src/store/transactions.js';
import { ReferenceStore } from '../src/store/reference-store.js';
import { fixture, startApp, type EnvOverrides } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { multipart, rawClient } from './support/raw-http.js';
import { newReference } from './support/store.js';

const API_KEY = 'idempotency-key-one-0123456789';
const OTHER_API_KEY = 'idempotency-key-two-0123456789';
const DAY_MS = 86_400_000;

interface Enrolled {
  key: string;
}

for (const database of ['MariaDB', 'SQLite'] as const) {
  describe(`Idempotency-Key on ${database}`, () => {
    let server: TestDatabase | undefined;
    let dataDir: string | undefined;
    let env: EnvOverrides;
    let app: INestApplication;
    let http: App;
    let subjects = 0;

    const start = async () => {
      app = await startApp(env);
      http = app.getHttpServer() as App;
    };
    const keys = () => app.get(DataSource).getRepository(IdempotencyKeyEntity);
    /** A subject of its own per test, so that listing it counts that test's enrolments only. */
    const newSubject = () => `idem-${database}-${++subjects}`;
    const upload = (idempotencyKey: string, subject: string, photo = 'person-a-1.jpg') =>
      request(http)
        .post('/upload_reference')
        .set('X-API-Key', API_KEY)
        .set('Idempotency-Key', idempotencyKey)
        .attach('image', fixture(photo), photo)
        .field('subject', subject);
    /** An upload on a socket of its own, sent whole, whose answer the test may never read. */
    const sendUpload = async (idempotencyKey: string, subject: string) => {
      const form = multipart([
        { name: 'image', filename: 'person-a-1.jpg', content: fixture('person-a-1.jpg') },
        { name: 'subject', content: subject },
      ]);
      const client = await rawClient(await listening(app));
      await client.send(
        'POST /upload_reference HTTP/1.1\r\nHost: localhost\r\n' +
          `X-API-Key: ${API_KEY}\r\nIdempotency-Key: ${idempotencyKey}\r\n` +
          `Content-Type: ${form.contentType}\r\nContent-Length: ${form.body.length}\r\n\r\n`,
      );
      await client.send(form.body);
      return client;
    };
    const enrolled = async (subject: string): Promise<string[]> => {
      const listed = await request(http)
        .get('/list_references')
        .query({ subject })
        .set('X-API-Key', API_KEY)
        .expect(200);
      return (listed.body as { references: Enrolled[] }).references.map(({ key }) => key);
    };

    before(async () => {
      if (database === 'MariaDB') server = await createTestDatabase();
      else dataDir = mkdtempSync(join(tmpdir(), 'facegate-idempotency-'));
      env = {
        API_KEYS: `${API_KEY},${OTHER_API_KEY}`,
        ...(server ? { DATABASE_URL: server.url } : { DATA_DIR: dataDir }),
      };
      await start();
    });

    after(async () => {
      await app?.close();
      await server?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('should answer a retry with the first answer and enrol once', async () => {
      const subject = newSubject();
      const first = await upload('retry-1', subject).expect(200);
      assert.equal(first.headers['idempotent-replayed'], undefined);
      const again = await upload('retry-1', subject).expect(200);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal(again.text, first.text, 'the same body, byte for byte');
      assert.deepEqual(await enrolled(subject), [(first.body as Enrolled).key]);
    });

    it('should keep the key a day (IDEMPOTENCY_TTL_SECONDS) with a digest of the API key, never the key', async () => {
      const row = await keys().findOneByOrFail({ key: 'retry-1' });
      assert.equal(row.state, 'done');
      assert.equal(row.statusCode, 200);
      assert.equal(row.expiresAt.getTime() - row.createdAt.getTime(), DAY_MS);
      assert.equal(row.scope, createHash('sha256').update(API_KEY).digest('hex'));
      assert.ok(!JSON.stringify(row).includes(API_KEY));
    });

    it('should answer 422 naming the problem for the same key with another request, and store nothing', async () => {
      const subject = newSubject();
      const first = await upload('reused-1', subject).expect(200);
      const other = await upload('reused-1', subject, 'person-b-1.jpg').expect(422);
      assert.match(
        (other.body as { detail: string }).detail,
        /Idempotency-Key was already used for a different request/,
      );
      // Another subject field is another request too.
      await upload('reused-1', newSubject()).expect(422);
      assert.deepEqual(await enrolled(subject), [(first.body as Enrolled).key]);
    });

    it('should answer 400 for a key that is empty, too long or not printable ASCII', async () => {
      for (const bad of ['x'.repeat(256), 'tab\there']) {
        await request(http)
          .delete('/delete_reference/abc')
          .set('X-API-Key', API_KEY)
          .set('Idempotency-Key', bad)
          .expect(400, { detail: 'Idempotency-Key must be 1 to 255 printable ASCII characters' });
      }
    });

    it('should keep no failed answer: the same failing request runs again, and nothing is held', async () => {
      for (let attempt = 0; attempt < 2; attempt++) {
        const failed = await upload('no-face-1', newSubject(), 'no-face.png');
        assert.equal(failed.status, 400, failed.text);
        assert.equal(failed.headers['idempotent-replayed'], undefined);
      }
      assert.equal(await keys().countBy({ key: 'no-face-1' }), 0);
    });

    it('should let concurrent duplicates through once: the others get 409 with Retry-After or the replay', async () => {
      const subject = newSubject();
      const answers = await Promise.all(Array.from({ length: 3 }, () => upload('race-1', subject)));
      const statuses = answers.map((answer) => answer.status);
      assert.ok(
        statuses.every((status) => status === 200 || status === 409),
        String(statuses),
      );
      for (const busy of answers.filter((answer) => answer.status === 409)) {
        assert.match(String(busy.headers['retry-after']), /^[1-5]$/);
        assert.match((busy.body as { detail: string }).detail, /still being processed/);
      }
      const keysAnswered = new Set(
        answers
          .filter((answer) => answer.status === 200)
          .map((answer) => (answer.body as Enrolled).key),
      );
      assert.equal(keysAnswered.size, 1, 'every 200 names the one reference');
      // Once the first is done, a retry is a replay.
      const retry = await upload('race-1', subject).expect(200);
      assert.equal(retry.headers['idempotent-replayed'], 'true');
      assert.deepEqual(await enrolled(subject), [...keysAnswered]);
    });

    it('should enrol once when the connection dropped after the server committed, and replay on retry', async () => {
      const subject = newSubject();
      const client = await sendUpload('dropped-1', subject);
      // The client gives up on its answer as soon as the server has committed; whatever of the
      // answer reached it is thrown away with the connection.
      await until(async () => (await keys().findOneBy({ key: 'dropped-1' }))?.state === 'done');
      client.socket.destroy();
      const retry = await upload('dropped-1', subject).expect(200);
      assert.equal(retry.headers['idempotent-replayed'], 'true');
      assert.deepEqual(await enrolled(subject), [(retry.body as Enrolled).key]);
    });

    it('should enrol once when the connection dropped before the commit: the retry runs afresh', async () => {
      const subject = newSubject();
      const client = await sendUpload('dropped-2', subject);
      // Gone while its photo is analysed: the server stores nothing and frees the key.
      await until(async () => (await keys().countBy({ key: 'dropped-2' })) === 1);
      client.socket.destroy();
      // As a client would: wait out 409s until the first attempt has let go of the key.
      let retry = await upload('dropped-2', subject);
      for (let tries = 0; retry.status === 409 && tries < 60; tries++) {
        await sleep(Number(retry.headers['retry-after']) * 1000);
        retry = await upload('dropped-2', subject);
      }
      assert.equal(retry.status, 200, retry.text);
      assert.equal(
        retry.headers['idempotent-replayed'],
        undefined,
        'nothing was stored the first time',
      );
      assert.deepEqual(await enrolled(subject), [(retry.body as Enrolled).key]);
    });

    it('should replay a delete, and tell a delete of another reference under the same key apart', async () => {
      const subject = newSubject();
      const { key } = (await upload('to-delete-1', subject).expect(200)).body as Enrolled;
      const remove = (path: string) =>
        request(http).delete(path).set('X-API-Key', API_KEY).set('Idempotency-Key', 'delete-1');
      const first = await remove(`/delete_reference/${key}`).expect(200);
      const again = await remove(`/delete_reference/${key}`).expect(200);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.deepEqual(again.body, first.body);
      await remove('/delete_reference/0123456789abcdef').expect(422);
      // Without the key, the delete is what it always was.
      await request(http).delete(`/delete_reference/${key}`).set('X-API-Key', API_KEY).expect(404);
    });

    it('should keep keys per API key: another API key with the same Idempotency-Key is another request', async () => {
      const subject = newSubject();
      const mine = await upload('shared-1', subject).expect(200);
      const theirs = await request(http)
        .post('/upload_reference')
        .set('X-API-Key', OTHER_API_KEY)
        .set('Idempotency-Key', 'shared-1')
        .attach('image', fixture('person-a-1.jpg'), 'person-a-1.jpg')
        .field('subject', subject)
        .expect(200);
      assert.equal(theirs.headers['idempotent-replayed'], undefined);
      assert.notEqual((theirs.body as Enrolled).key, (mine.body as Enrolled).key);
      assert.equal(await keys().countBy({ key: 'shared-1' }), 2);
      assert.equal((await enrolled(subject)).length, 2);
    });

    it('should run an expired key afresh, and purge expired keys', async () => {
      const subject = newSubject();
      const first = await upload('expiring-1', subject).expect(200);
      await keys().update({ key: 'expiring-1' }, { expiresAt: new Date(Date.now() - 1000) });
      const after = await upload('expiring-1', subject).expect(200);
      assert.equal(after.headers['idempotent-replayed'], undefined);
      assert.notEqual((after.body as Enrolled).key, (first.body as Enrolled).key);
      assert.equal((await enrolled(subject)).length, 2);

      await keys().update({ key: 'expiring-1' }, { expiresAt: new Date(Date.now() - 1000) });
      const purged = await app.get(IdempotencyStore).purgeExpired(new Date(), 500);
      assert.equal(purged, 1);
      assert.equal(await keys().countBy({ key: 'expiring-1' }), 0);
      assert.ok((await keys().count()) > 0, 'unexpired keys stay');
    });

    it('should commit the answer with the write or neither: a failing participant or a lost key rolls the reference back', async () => {
      const references = app.get(ReferenceStore);
      const idempotency = app.get(IdempotencyStore);
      const now = new Date();
      const claim = await idempotency.claim(
        { scope: '', collection: 'default', key: 'atomic-1', fingerprint: 'f' },
        now,
      );
      assert.equal(claim.outcome, 'held');
      if (claim.outcome !== 'held') return;
      const answer = { status: 200, body: { key: 'atomic1' } };
      const recordAnswer = {
        join: (manager: EntityManager) => idempotency.answerWithin(manager, claim.key, answer),
      };

      const failing = { join: () => Promise.reject(new Error('participant failed')) };
      await assert.rejects(
        withWriteParticipant(failing, () =>
          references.insert('default', newReference('atomic0', 100)),
        ),
        /participant failed/,
      );
      assert.equal(
        await references.findMetadata('default', 'atomic0'),
        null,
        'the write rolled back with it',
      );

      // A retry took the key over after this request's lease ran out: its write must not land.
      await keys().update({ key: 'atomic-1' }, { holder: 'someone-else' });
      await assert.rejects(
        withWriteParticipant(recordAnswer, () =>
          references.insert('default', newReference('atomic1', 100)),
        ),
        IdempotencyKeyLostError,
      );
      assert.equal(await references.findMetadata('default', 'atomic1'), null);

      await keys().update({ key: 'atomic-1' }, { holder: claim.key.holder });
      await withWriteParticipant(recordAnswer, () =>
        references.insert('default', newReference('atomic1', 100)),
      );
      assert.notEqual(await references.findMetadata('default', 'atomic1'), null);
      const row = await keys().findOneByOrFail({ key: 'atomic-1' });
      assert.equal(row.state, 'done');
      assert.deepEqual(JSON.parse(row.responseBody ?? ''), answer.body);
      await references.delete('default', 'atomic1');
    });

    it('should write once for a route that names its answer only after its write, and say so if the answer was lost', async () => {
      const references = app.get(ReferenceStore);
      const idempotency = app.get(IdempotencyStore);
      const request = { scope: '', collection: 'default', key: 'late-answer-1', fingerprint: 'f' };
      const claim = await idempotency.claim(request, new Date());
      assert.equal(claim.outcome, 'held');
      if (claim.outcome !== 'held') return;
      const written = {
        join: (manager: EntityManager) => idempotency.answerWithin(manager, claim.key, null),
      };
      await withWriteParticipant(written, () =>
        references.insert('default', newReference('late1', 100)),
      );
      assert.equal((await keys().findOneByOrFail({ key: 'late-answer-1' })).state, 'committed');
      // Written, answer not yet recorded: a retry waits, and is never run a second time.
      const meanwhile = await idempotency.claim(request, new Date());
      assert.equal(meanwhile.outcome, 'in-progress');
      const afterLease = await idempotency.claim(request, new Date(Date.now() + 3_600_000));
      assert.equal(afterLease.outcome, 'answer-lost');
      await idempotency.answer(claim.key, { status: 200, body: { late: true } });
      const replay = await idempotency.claim(request, new Date());
      assert.deepEqual(replay, {
        outcome: 'answered',
        answer: { status: 200, body: { late: true } },
      });
      await references.delete('default', 'late1');

      // Over HTTP: a write whose process died before its answer followed is a 409 that says so.
      const subject = newSubject();
      await upload('lost-1', subject).expect(200);
      await keys().update(
        { key: 'lost-1' },
        { state: 'committed', responseBody: null, leaseUntil: new Date(Date.now() - 1000) },
      );
      const lost = await upload('lost-1', subject).expect(409);
      assert.match((lost.body as { detail: string }).detail, /stopped before recording its answer/);
      assert.equal((await enrolled(subject)).length, 1);
    });

    it('should replay after the service restarts', async () => {
      const subject = newSubject();
      const first = await upload('restart-1', subject).expect(200);
      await app.close();
      await start();
      const again = await upload('restart-1', subject).expect(200);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal(again.text, first.text);
      assert.deepEqual(await enrolled(subject), [(first.body as Enrolled).key]);
    });
  });
}

/** The app's port, listening on one first if it is not yet. */
async function listening(app: INestApplication): Promise<number> {
  const server = app.getHttpServer() as import('node:http').Server;
  if (!server.listening) await app.listen(0, '127.0.0.1');
  return (server.address() as AddressInfo).port;
}

async function until(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}
