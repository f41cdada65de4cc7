// `npm run reembed` on MariaDB: references made by an earlier pipeline answer 409 until their
// stored photos are embedded again; then they compare like fresh ones.
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { projectRoot } from '../src/common/project-root.js';
import { FaceAnalyser } from '../src/face-engine/face-analyser.js';
import { ReembedModule } from '../src/references/reembed.module.js';
import { ReembedService } from '../src/references/reembed.service.js';
import { fixture, startApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { enrolFixture } from './support/round-trip.js';

describe('re-embedding stored references on MariaDB', () => {
  let database: TestDatabase;
  let sql: Connection;
  let app: INestApplication;
  let server: App;
  let keyA: string;
  let keyB: string;

  const upload = (name: string): Promise<string> => enrolFixture(server, name);
  const compare = (key: string, name: string) =>
    request(server)
      .post('/compare_with_reference')
      .field('reference_key', key)
      .attach('image', fixture(name), name);
  const verdict = async (key: string, name: string) =>
    (
      (await compare(key, name).expect(200)).body as {
        result: { verified: boolean; distance: number };
      }
    ).result;
  const row = async (key: string) => {
    const [rows] = await sql.query<RowDataPacket[]>(
      'SELECT id, model, embedding FROM face_references WHERE ref_key = ?',
      [key],
    );
    return rows[0] as { id: number; model: string; embedding: Buffer };
  };
  /** What an older pipeline would have left: another model name and another embedding. */
  const ageReference = async (key: string): Promise<void> => {
    await sql.query(
      `UPDATE face_references SET model = 'face-api/face_recognition_model@b413e420d684+p3',
        embedding = ? WHERE ref_key = ?`,
      [Buffer.alloc(512, 7), key],
    );
  };
  const changes = async (id: number): Promise<number> => {
    const [rows] = await sql.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM reference_changes WHERE reference_id = ?',
      [id],
    );
    return Number(rows[0].n);
  };
  const run = (options: { all?: boolean } = {}) =>
    app.get(ReembedService).reembed({ batchSize: 1, ...options });
  /** `npm run reembed` as an operator runs it: its own process, its own container. */
  const runCommand = () =>
    spawnSync(
      process.execPath,
      [join(projectRoot(), 'build', 'src', 'cli.js'), 'reembed', '--batch-size', '1'],
      {
        // Away from the project's folder and a developer's .env there.
        cwd: tmpdir(),
        env: {
          ...process.env,
          DATABASE_URL: database.url,
          MODELS_DIR: join(projectRoot(), 'models'),
          FACE_BACKEND: 'wasm',
          FACE_WORKERS: '1',
          LOG_LEVEL: 'warn',
        },
        encoding: 'utf8',
        timeout: 120_000,
      },
    );

  before(async () => {
    database = await createTestDatabase();
    sql = await createConnection({ uri: database.url });
    app = await startApp({ DATABASE_URL: database.url }, [ReembedModule]);
    server = app.getHttpServer() as App;
    keyA = await upload('person-a-1.jpg');
    keyB = await upload('person-b-1.jpg');
  });

  after(async () => {
    await app?.close();
    await sql?.end();
    await database?.drop();
  });

  it('should turn a 409 into a match by embedding the stored photo again', async () => {
    const fresh = await verdict(keyA, 'person-a-2.jpg');
    const { id } = await row(keyA);
    await ageReference(keyA);
    await compare(keyA, 'person-a-2.jpg').expect(409);
    const changesBefore = await changes(id);

    const counts = await run();
    assert.deepEqual(counts, { scanned: 2, reembedded: 1, current: 1, failed: 0 });
    const { model } = await row(keyA);
    assert.equal(model, app.get(FaceAnalyser).model);
    assert.equal(await changes(id), changesBefore + 1, 'one change-log entry for the indexes');
    const after = await verdict(keyA, 'person-a-2.jpg');
    assert.equal(after.verified, true);
    assert.ok(Math.abs(after.distance - fresh.distance) < 1e-6, 'the embedding it had at upload');
    assert.equal((await verdict(keyB, 'person-a-2.jpg')).verified, false);
  });

  it('should change nothing when run again, and every reference with --all', async () => {
    assert.deepEqual(await run(), { scanned: 2, reembedded: 0, current: 2, failed: 0 });
    const { embedding } = await row(keyB);
    assert.deepEqual(await run({ all: true }), {
      scanned: 2,
      reembedded: 2,
      current: 0,
      failed: 0,
    });
    assert.ok((await row(keyB)).embedding.equals(embedding), 'the same photo, the same vector');
  });

  it('should leave a reference whose photo no longer shows exactly one face as it was, and exit 1', async () => {
    await ageReference(keyB);
    await sql.query(
      `UPDATE reference_images i JOIN face_references r ON r.id = i.reference_id
        SET i.bytes = ? WHERE r.ref_key = ?`,
      [fixture('no-face.png'), keyB],
    );
    const before = await row(keyB);
    const command = runCommand();
    assert.equal(command.status, 1, command.stderr + command.stdout);
    assert.match(
      command.stdout,
      /Done: 2 references, 0 re-embedded, 1 already current, 1 left as they were/,
    );
    const after = await row(keyB);
    assert.equal(after.model, before.model);
    assert.ok(after.embedding.equals(before.embedding));
  });
});
