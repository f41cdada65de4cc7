import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { DataSource } from 'typeorm';
import { fixture, startApp, type EnvOverrides } from './support/app.js';
import { createTestDatabase } from './support/database.js';

interface Person {
  subject: string;
  references: {
    key: string;
    filename: string;
    created_at: string;
    face_quality: { detector_score: number } | null;
  }[];
  metadata: Record<string, unknown>;
}
interface IdentifyBody {
  faces: { matches: { key: string; subject: string | null }[] }[];
  references_searched: number;
}
type Row = Record<string, unknown>;

/** Raw access to the service's database, to see what the API cannot show. */
interface StoreAccess {
  env: EnvOverrides;
  /** Every table of the schema, the service's and the migrations' alike. */
  tables(): Promise<string[]>;
  query(sql: string, parameters?: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

async function mariadb(): Promise<StoreAccess> {
  const database = await createTestDatabase();
  let sql: Connection | undefined;
  const connection = async () => (sql ??= await createConnection({ uri: database.url }));
  return {
    env: { DATABASE_URL: database.url },
    async tables() {
      const [rows] = await (
        await connection()
      ).query<RowDataPacket[]>(
        'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()',
      );
      return rows.map((row) => String(row.name));
    },
    async query(text, parameters = []) {
      const [rows] = await (await connection()).query<RowDataPacket[]>(text, parameters);
      return rows;
    },
    async close() {
      await sql?.end();
      await database.drop();
    },
  };
}

function sqlite(): StoreAccess {
  const dataDir = mkdtempSync(join(tmpdir(), 'facegate-subjects-'));
  let reader: DataSource | undefined;
  // Opened on first use: the file exists once the service has started and migrated it.
  const connection = async () =>
    (reader ??= await new DataSource({
      type: 'better-sqlite3',
      database: join(dataDir, 'facegate.sqlite'),
      readonly: true,
    }).initialize());
  return {
    env: { DATA_DIR: dataDir },
    async tables() {
      const rows = await (
        await connection()
      ).query<Row[]>("SELECT name FROM sqlite_master WHERE type = 'table'");
      return rows.map((row) => String(row.name));
    },
    async query(text, parameters = []) {
      return (await connection()).query<Row[]>(text, parameters);
    },
    async close() {
      await reader?.destroy();
    },
  };
}

/** Where in the schema any of `needles` is stored: `table.column` for each hit, text or bytes. */
async function findAnywhere(store: StoreAccess, needles: string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const table of await store.tables()) {
    for (const row of await store.query(`SELECT * FROM ${table}`)) {
      for (const [column, value] of Object.entries(row)) {
        const bytes = Buffer.isBuffer(value)
          ? value
          : Buffer.from(value instanceof Date ? value.toISOString() : String(value));
        for (const needle of needles) {
          if (bytes.includes(Buffer.from(needle))) hits.push(`${table}.${column} has ${needle}`);
        }
      }
    }
  }
  return hits;
}

function subjectSpecs(name: string, open: () => Promise<StoreAccess> | StoreAccess): void {
  describe(`subjects as resources on ${name}`, () => {
    let store: StoreAccess;
    let app: INestApplication;
    let server: App;
    // A space and an accent: the subject travels URL-encoded and is stored exactly.
    const PERSON = `Zoë Erasure ${randomBytes(4).toString('hex')}`;
    const OTHER = `other-${randomBytes(4).toString('hex')}`;
    const personKeys: string[] = [];
    let otherKey = '';

    const path = (subject: string) => `/subjects/${encodeURIComponent(subject)}`;
    const upload = async (photo: string, subject: string, idempotencyKey?: string) => {
      let call = request(server).post('/upload_reference');
      if (idempotencyKey) call = call.set('Idempotency-Key', idempotencyKey);
      const response = await call
        .attach('image', fixture(photo), photo)
        .field('subject', subject)
        .expect(200);
      return (response.body as { key: string }).key;
    };
    const identify = async (target: App, photo: string): Promise<IdentifyBody> => {
      const response = await request(target)
        .post('/identify')
        .attach('image', fixture(photo), photo)
        .field('limit', '10')
        .field('threshold', '0.3')
        .expect(200);
      return response.body as IdentifyBody;
    };
    const matchedKeys = (result: IdentifyBody) =>
      result.faces.flatMap((face) => face.matches.map((match) => match.key));
    const put = (subject: string, body: unknown) =>
      request(server)
        .put(path(subject))
        .send(body as object);

    before(async () => {
      store = await open();
      app = await startApp(store.env);
      server = app.getHttpServer() as App;
      personKeys.push(await upload('person-a-1.jpg', PERSON));
      // With an Idempotency-Key: the answer kept for a retry names the key, and must go too.
      personKeys.push(
        await upload('person-a-2.jpg', PERSON, `erase-${randomBytes(4).toString('hex')}`),
      );
      otherKey = await upload('person-b-1.jpg', OTHER);
    });

    after(async () => {
      await app?.close();
      await store?.close();
    });

    describe('GET /subjects/{subject}', () => {
      it('should answer the person: references oldest first, and {} as metadata', async () => {
        const person = (await request(server).get(path(PERSON)).expect(200)).body as Person;
        assert.equal(person.subject, PERSON);
        assert.deepEqual(person.metadata, {});
        assert.deepEqual(
          person.references.map((reference) => [reference.key, reference.filename]),
          [
            [personKeys[0], 'person-a-1.jpg'],
            [personKeys[1], 'person-a-2.jpg'],
          ],
        );
        for (const reference of person.references) {
          assert.deepEqual(Object.keys(reference).sort(), [
            'created_at',
            'face_quality',
            'filename',
            'key',
          ]);
          assert.ok(!Number.isNaN(Date.parse(reference.created_at)), reference.created_at);
          assert.ok(reference.face_quality && reference.face_quality.detector_score > 0.5);
        }
      });

      it('should answer 404 {"detail"} for a subject no reference has, case included', async () => {
        await request(server)
          .get(path('nobody'))
          .expect(404, { detail: 'No reference found with subject: nobody' });
        await request(server).get(path(PERSON.toUpperCase())).expect(404);
      });

      it('should answer 400 for a subject no upload could have stored', async () => {
        const invalid = { detail: 'Invalid subject: printable text of at most 100 characters' };
        await request(server).get(path('a\u0007b')).expect(400, invalid);
        await request(server)
          .get(path('x'.repeat(101)))
          .expect(400, invalid);
      });
    });

    describe('PUT /subjects/{subject}', () => {
      it('should store the metadata, answer the person with it, and GET returns it', async () => {
        const metadata = { employee_id: 'E-1042', badge: 31337, contractor: false, ratio: 0.5 };
        const answer = (await put(PERSON, { metadata }).expect(200)).body as Person;
        assert.deepEqual(answer.metadata, metadata);
        assert.deepEqual(
          answer.references.map((reference) => reference.key),
          personKeys,
        );
        const read = (await request(server).get(path(PERSON)).expect(200)).body as Person;
        assert.deepEqual(read, answer);
      });

      it('should replace the metadata as a whole, not merge it', async () => {
        await put(PERSON, { metadata: { a: 1, b: 2 } }).expect(200);
        const answer = (await put(PERSON, { metadata: { c: 'three' } }).expect(200)).body as Person;
        assert.deepEqual(answer.metadata, { c: 'three' });
      });

      const refusals: [string, unknown, string | RegExp][] = [
        ['a nested object', { metadata: { team: { name: 'x' } } }, /^metadata\.team .*an object$/],
        ['an array', { metadata: { tags: ['a', 'b'] } }, /^metadata\.tags .*an array$/],
        ['null', { metadata: { manager: null } }, /^metadata\.manager .*null$/],
        ['no metadata field', { meta: {} }, /^Unknown field 'meta'/],
        ['metadata not an object', { metadata: [] }, /^metadata must be an object/],
        ['over 4096 bytes', { metadata: { note: 'x'.repeat(4087) } }, /^metadata is 4098 bytes/],
      ];
      for (const [what, body, detail] of refusals) {
        it(`should answer 400 naming the problem for ${what}, and keep what was stored`, async () => {
          await put(PERSON, { metadata: { kept: true } }).expect(200);
          const response = await put(PERSON, body).expect(400);
          assert.match((response.body as { detail: string }).detail, detail as RegExp);
          const read = (await request(server).get(path(PERSON)).expect(200)).body as Person;
          assert.deepEqual(read.metadata, { kept: true });
        });
      }

      it('should take exactly 4096 bytes of JSON', async () => {
        // {"note":"..."} is 11 bytes around the value.
        const metadata = { note: 'x'.repeat(4096 - 11) };
        const answer = (await put(PERSON, { metadata }).expect(200)).body as Person;
        assert.deepEqual(answer.metadata, metadata);
      });

      it('should answer 400 {"detail"} for a body that is not JSON, or malformed', async () => {
        await request(server)
          .put(path(PERSON))
          .set('Content-Type', 'text/plain')
          .send('metadata=x')
          .expect(400);
        const malformed = await request(server)
          .put(path(PERSON))
          .set('Content-Type', 'application/json')
          .send('{"metadata": ')
          .expect(400);
        assert.equal(typeof (malformed.body as { detail: unknown }).detail, 'string');
      });

      it('should answer 404 for a person without references, and store nothing for them', async () => {
        await put('nobody', { metadata: { a: 1 } }).expect(404, {
          detail: 'No reference found with subject: nobody',
        });
        assert.deepEqual(
          await store.query('SELECT subject FROM subject_metadata WHERE subject = ?', ['nobody']),
          [],
        );
      });

      it("should drop the metadata with the person's last reference deleted by key", async () => {
        const subject = `leaving-${randomBytes(4).toString('hex')}`;
        const first = await upload('person-f-1.jpg', subject);
        const second = await upload('person-f-2.jpg', subject);
        await put(subject, { metadata: { note: 'temporary' } }).expect(200);
        const kept = () =>
          store.query('SELECT subject FROM subject_metadata WHERE subject = ?', [subject]);

        await request(server).delete(`/delete_reference/${first}`).expect(200);
        assert.equal((await kept()).length, 1, 'a reference is left: the metadata stays');
        await request(server).delete(`/delete_reference/${second}`).expect(200);
        assert.deepEqual(await kept(), [], 'the last reference took the metadata with it');
        await request(server).get(path(subject)).expect(404);
      });
    });

    describe('DELETE /subjects/{subject}', () => {
      it('should erase the person: nothing of them in any table, gone from /identify at once', async () => {
        await put(OTHER, { metadata: { stays: true } }).expect(200);
        await put(PERSON, { metadata: { erase: 'me' } }).expect(200);
        const needles = [PERSON, ...personKeys];
        // The scan must see the person before, or its silence after would prove nothing.
        const before = await findAnywhere(store, needles);
        // audit_log: the erasure keeps its entry, with the person's names as digests only.
        for (const table of [
          'face_references',
          'subject_metadata',
          'idempotency_keys',
          'audit_log',
        ]) {
          assert.ok(
            before.some((hit) => hit.startsWith(`${table}.`)),
            `${table}: ${before.join('; ')}`,
          );
        }
        const ids = (
          await store.query('SELECT id FROM face_references WHERE subject = ? ORDER BY id', [
            PERSON,
          ])
        ).map((row) => Number(row.id));
        assert.equal(ids.length, 2);
        const seen = await identify(server, 'person-a-2.jpg');
        assert.ok(matchedKeys(seen).includes(personKeys[1]), JSON.stringify(seen));

        await request(server).delete(path(PERSON)).expect(200, { success: true, deleted: 2 });

        assert.deepEqual(await findAnywhere(store, needles), []);
        // What remains in the change log of these references: one delete entry each, an id only.
        const placeholders = ids.map(() => '?').join(', ');
        const changes = await store.query(
          `SELECT reference_id, kind FROM reference_changes WHERE reference_id IN (${placeholders}) ORDER BY reference_id`,
          ids,
        );
        assert.deepEqual(
          changes.map((row) => [Number(row.reference_id), row.kind]),
          ids.map((id) => [id, 'delete']),
        );
        for (const table of ['face_references', 'reference_images']) {
          const column = table === 'face_references' ? 'id' : 'reference_id';
          const left = await store.query(
            `SELECT ${column} FROM ${table} WHERE ${column} IN (${placeholders})`,
            ids,
          );
          assert.deepEqual(left, [], table);
        }

        const after = await identify(server, 'person-a-2.jpg');
        assert.deepEqual(
          matchedKeys(after).filter((key) => personKeys.includes(key)),
          [],
          JSON.stringify(after),
        );
        assert.equal(after.references_searched, seen.references_searched - 2);

        await request(server).get(path(PERSON)).expect(404);
        // The other person is untouched.
        const other = (await request(server).get(path(OTHER)).expect(200)).body as Person;
        assert.deepEqual(
          other.references.map((reference) => reference.key),
          [otherKey],
        );
        assert.deepEqual(other.metadata, { stays: true });
      });

      it('should answer 404 for a person erased already or never enrolled, 400 for an invalid subject', async () => {
        await request(server)
          .delete(path(PERSON))
          .expect(404, { detail: `No reference found with subject: ${PERSON}` });
        await request(server).delete(path('nobody')).expect(404);
        await request(server).delete(path('a\u0000b')).expect(400);
      });
    });

    describe('a second replica on the same database', () => {
      let replica: INestApplication;
      let replicaServer: App;
      const REFRESH_MS = 200;

      before(async () => {
        replica = await startApp({
          ...store.env,
          FACE_WORKERS: '1',
          INDEX_REFRESH_MS: String(REFRESH_MS),
        });
        replicaServer = replica.getHttpServer() as App;
      });
      after(async () => {
        await replica?.close();
      });

      /** Polls the replica until `check` holds; how long it took. Fails after 15 s. */
      async function eventually(check: (result: IdentifyBody) => boolean): Promise<number> {
        const started = Date.now();
        for (;;) {
          const result = await identify(replicaServer, 'person-b-2.jpg');
          if (check(result)) return Date.now() - started;
          if (Date.now() - started > 15_000) {
            assert.fail(`replica never caught up: ${JSON.stringify(result)}`);
          }
          await sleep(50);
        }
      }

      it('should drop an erased person at its next refresh (the delete entries of the change feed)', async (t) => {
        const subject = `replicated-${randomBytes(4).toString('hex')}`;
        const keys = [
          await upload('person-b-2.jpg', subject),
          await upload('person-b-1.jpg', subject),
        ];
        await eventually((result) => keys.every((key) => matchedKeys(result).includes(key)));

        const erasing = performance.now();
        await request(server).delete(path(subject)).expect(200, { success: true, deleted: 2 });
        const eraseMs = Math.round(performance.now() - erasing);
        const tookMs = await eventually((result) =>
          keys.every((key) => !matchedKeys(result).includes(key)),
        );
        // One refresh, plus the /identify that sees it on a busy machine: the replica never saw
        // the rows go (they are deleted), only the change log's delete entries said so.
        assert.ok(tookMs < REFRESH_MS + 5_000, `${tookMs} ms`);
        t.diagnostic(
          `erase of 2 references: ${eraseMs} ms; gone from the replica's /identify after ` +
            `${tookMs} ms (INDEX_REFRESH_MS=${REFRESH_MS}, polled with /identify)`,
        );
      });
    });
  });
}

subjectSpecs('MariaDB', mariadb);
subjectSpecs('SQLite', sqlite);
