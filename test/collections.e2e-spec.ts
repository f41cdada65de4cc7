import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { DataSource } from 'typeorm';
import { projectRoot } from '../src/common/project-root.js';
import { fixture, startApp } from './support/app.js';
import { compare, identify, upload } from './support/calls.js';
import { cli } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { TEST_FACE_BACKEND } from './support/test-backend.js';

const ADMIN_KEY = 'collections-admin-key-0123456789';

interface IdentifyBody {
  faces: { matches: { key: string; subject: string | null; verified: boolean }[] }[];
  references_searched: number;
}

/** Two applications on one deployment, real faces, real MariaDB (issue 23, item 1). */
describe('collections on MariaDB with real faces', () => {
  let database: TestDatabase;
  let sql: Connection;
  let app: INestApplication;
  let server: App;
  /** Alice's key in each collection: the same person, the same subject, enrolled twice. */
  const alice = new Map<string, string>();
  let bob: string;

  const as = (call: request.Test, collection: string) =>
    call.set('X-API-Key', ADMIN_KEY).set('X-Collection', collection);
  const rows = async (text: string, parameters: unknown[] = []) =>
    (await sql.query<RowDataPacket[]>(text, parameters))[0];

  before(async () => {
    database = await createTestDatabase();
    sql = await createConnection({ uri: database.url });
    app = await startApp({ DATABASE_URL: database.url, API_KEYS: ADMIN_KEY });
    server = app.getHttpServer() as App;
    for (const name of ['shop', 'door']) {
      await request(server)
        .post('/collections')
        .set('X-API-Key', ADMIN_KEY)
        .send({ name })
        .expect(201);
      const body = (
        await as(upload(server, 'person-a-1.jpg', { subject: 'alice' }), name).expect(200)
      ).body as { key: string };
      alice.set(name, body.key);
      await as(request(server).put('/subjects/alice'), name)
        .send({ metadata: { desk: name } })
        .expect(200);
    }
    bob = (
      (await as(upload(server, 'person-b-1.jpg', { subject: 'bob' }), 'door').expect(200)).body as {
        key: string;
      }
    ).key;
  });

  after(async () => {
    await app?.close();
    await sql?.end();
    await database?.drop();
  });

  it("should compare a photo only with the request's collection's reference", async () => {
    const verdict = await as(compare(server, 'person-a-2.jpg', alice.get('shop')!), 'shop').expect(
      200,
    );
    assert.equal((verdict.body as { result: { verified: boolean } }).result.verified, true);
    const elsewhere = await as(compare(server, 'person-a-2.jpg', alice.get('shop')!), 'door');
    assert.equal(elsewhere.status, 404);
    assert.deepEqual(elsewhere.body, {
      detail: `No reference image found with key: ${alice.get('shop')}`,
    });
  });

  it('should identify among its own collection only, its threshold for its own size', async () => {
    const inShop = (await as(identify(server, 'person-a-2.jpg'), 'shop').expect(200))
      .body as IdentifyBody;
    assert.equal(inShop.references_searched, 1);
    assert.deepEqual(
      inShop.faces[0].matches.map(({ key }) => key),
      [alice.get('shop')],
    );
    const inDoor = (await as(identify(server, 'person-a-2.jpg'), 'door').expect(200))
      .body as IdentifyBody;
    assert.equal(inDoor.references_searched, 2);
    assert.equal(inDoor.faces[0].matches[0].key, alice.get('door'));
    assert.equal(inDoor.faces[0].matches[0].verified, true);
    assert.ok(inDoor.faces[0].matches.every(({ key }) => key !== alice.get('shop')));
    // Nobody in default: the seed's endpoints see an empty store.
    const inDefault = (await identify(server, 'person-a-2.jpg').set('X-API-Key', ADMIN_KEY))
      .body as IdentifyBody;
    assert.equal(inDefault.references_searched, 0);
  });

  it('should list, and verify a person, within the collection', async () => {
    const listed = (await as(request(server).get('/list_references'), 'door').expect(200)).body as {
      count: number;
      references: { key: string }[];
    };
    assert.deepEqual(
      listed.references.map(({ key }) => key).sort(),
      [alice.get('door'), bob].sort(),
    );
    const inDefault = await request(server)
      .get('/list_references')
      .set('X-API-Key', ADMIN_KEY)
      .expect(200);
    assert.deepEqual(inDefault.body, { count: 0, references: [] });
    const person = await as(request(server).get('/subjects/alice'), 'shop').expect(200);
    assert.deepEqual((person.body as { metadata: unknown }).metadata, { desk: 'shop' });
    const verified = await as(
      request(server)
        .post('/subjects/bob/verify')
        .attach('image', fixture('person-b-2.jpg'), 'b.jpg'),
      'door',
    ).expect(200);
    assert.equal((verified.body as { result: { verified: boolean } }).result.verified, true);
    await as(
      request(server)
        .post('/subjects/bob/verify')
        .attach('image', fixture('person-b-2.jpg'), 'b.jpg'),
      'shop',
    ).expect(404, { detail: 'No reference found with subject: bob' });
  });

  it('should delete a reference only through its own collection', async () => {
    const extra = (
      (await as(upload(server, 'person-c-1.jpg'), 'shop').expect(200)).body as { key: string }
    ).key;
    await as(request(server).delete(`/delete_reference/${extra}`), 'door').expect(404, {
      detail: `No reference embedding found with key: ${extra}`,
    });
    await as(request(server).get(`/references/${extra}/image`), 'shop').expect(200);
    await as(request(server).delete(`/delete_reference/${extra}`), 'shop').expect(200);
  });

  it('should erase one collection in full with DELETE /collections, and nothing of another', async () => {
    const shopIds = (await rows("SELECT id FROM face_references WHERE collection = 'shop'")).map(
      (row) => Number(row.id),
    );
    assert.equal(shopIds.length, 1);
    await request(server)
      .delete('/collections/shop')
      .set('X-API-Key', ADMIN_KEY)
      .expect(200, { success: true, references: 1, persons: 1 });

    // Nothing of shop is left, anywhere: rows, photos, metadata, idempotency records.
    assert.deepEqual(await rows("SELECT id FROM face_references WHERE collection = 'shop'"), []);
    assert.deepEqual(
      await rows('SELECT reference_id FROM reference_images WHERE reference_id = ?', shopIds),
      [],
    );
    assert.deepEqual(
      await rows("SELECT subject FROM subject_metadata WHERE collection = 'shop'"),
      [],
    );
    assert.deepEqual(await rows("SELECT id FROM idempotency_keys WHERE collection = 'shop'"), []);
    assert.deepEqual(await rows("SELECT name FROM collections WHERE name = 'shop'"), []);
    // The change log keeps one delete per erased reference, for the other replicas' indexes.
    const changes = await rows(
      "SELECT reference_id, kind FROM reference_changes WHERE collection = 'shop'",
    );
    assert.deepEqual(
      changes.map((row) => [Number(row.reference_id), String(row.kind)]),
      shopIds.map((id) => [id, 'delete']),
    );
    // The trail keeps that it happened, and no name of anyone who was in it.
    const trail = await rows(
      "SELECT action, subjects, reference_keys FROM audit_log WHERE collection = 'shop'",
    );
    assert.ok(trail.some((entry) => entry.action === 'collection-delete'));
    assert.ok(trail.every((entry) => !String(entry.subjects).includes('"alice"')));
    assert.ok(trail.every((entry) => !String(entry.reference_keys).includes(alice.get('shop')!)));

    // Door is as it was: its Alice still found, her metadata kept.
    await as(request(server).get('/collections'), 'door').expect(200);
    const found = (await as(identify(server, 'person-a-2.jpg'), 'door').expect(200))
      .body as IdentifyBody;
    assert.equal(found.faces[0].matches[0].key, alice.get('door'));
    const person = await as(request(server).get('/subjects/alice'), 'door').expect(200);
    assert.deepEqual((person.body as { metadata: unknown }).metadata, { desk: 'door' });
    await as(request(server).get('/list_references'), 'shop').expect(404, {
      detail: "Collection 'shop' not found",
    });
  });

  it('should enrol a folder into a named collection from the command line, and skip it there the second time', () => {
    const work = mkdtempSync(join(tmpdir(), 'facegate-collections-enrol-'));
    try {
      mkdirSync(join(work, 'carol'));
      writeFileSync(join(work, 'carol', 'c.jpg'), fixture('person-c-1.jpg'));
      const env = {
        DATABASE_URL: database.url,
        MODELS_DIR: join(projectRoot(), 'models'),
        FACE_BACKEND: TEST_FACE_BACKEND,
        FACE_WORKERS: '1',
      };
      const missing = cli(['enrol', work, '--collection', 'nowhere'], env);
      assert.notEqual(missing.status, 0);
      assert.match(missing.stderr + missing.stdout, /no collection nowhere/);
      const first = cli(['enrol', work, '--collection', 'door'], env);
      assert.equal(first.status, 0, first.stderr + first.stdout);
      assert.match(first.stdout, /Enrolled 1, skipped 0/);
      const again = cli(['enrol', work, '--collection', 'door'], env);
      assert.match(again.stdout, /Enrolled 0, skipped 1/, again.stderr);
      // The same photo is new to another collection.
      const elsewhere = cli(['enrol', work], env);
      assert.match(elsewhere.stdout, /Enrolled 1, skipped 0/, elsewhere.stderr);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

/** The migration with data in it, on both databases: `default` up, refused or undone down. */
describe('the Collections migration with data', () => {
  /** Rows as the schema before collections held them: a person with a photo and metadata. */
  const seedBefore = async (run: (text: string, parameters?: unknown[]) => Promise<unknown>) => {
    await run(
      'INSERT INTO face_references (ref_key, filename, content_type, size_bytes, embedding, ' +
        'box_x, box_y, box_width, box_height, model, created_at, subject) ' +
        "VALUES ('k1', 'a.jpg', 'image/jpeg', 1, ?, 0, 0, 1, 1, 'm', '2026-12-01 10:00:00.000', 'amy')",
      [Buffer.alloc(512)],
    );
    await run("INSERT INTO reference_images (reference_id, bytes) VALUES (1, 'x')");
    await run(
      "INSERT INTO subject_metadata (subject, metadata, updated_at) VALUES ('amy', '{}', " +
        "'2026-12-01 10:00:00.000')",
    );
  };
  const stillThere = async (run: (text: string) => Promise<Record<string, unknown>[]>) => {
    assert.deepEqual(
      (await run('SELECT ref_key, subject FROM face_references')).map((r) => [
        r.ref_key,
        r.subject,
      ]),
      [['k1', 'amy']],
    );
    assert.equal((await run('SELECT subject FROM subject_metadata')).length, 1);
  };

  /** Up with the rows in place, then down refused while another collection holds a person. */
  const roundTrip = async (
    env: Record<string, string>,
    run: (text: string, parameters?: unknown[]) => Promise<Record<string, unknown>[]>,
  ) => {
    assert.equal(cli(['migrate'], env).status, 0);
    // ApiKeys came after Collections: undone first each time.
    const revertKeys = () => {
      const keys = cli(['migrate', '--revert'], env);
      assert.match(keys.stdout, /Reverted ApiKeys\d+/, keys.stderr);
    };
    revertKeys();
    const back = cli(['migrate', '--revert'], env);
    assert.match(back.stdout, /Reverted Collections\d+/, back.stderr);
    await seedBefore(run);

    const up = cli(['migrate'], env);
    assert.match(up.stdout, /Applied Collections\d+/, up.stderr);
    assert.deepEqual(
      (await run('SELECT collection FROM face_references')).map((r) => r.collection),
      ['default'],
    );
    assert.deepEqual(
      (await run('SELECT collection FROM subject_metadata')).map((r) => r.collection),
      ['default'],
    );
    assert.deepEqual(
      (await run('SELECT name FROM collections')).map((r) => r.name),
      ['default'],
    );

    // The same key and subject in another collection: allowed now, and what down cannot merge.
    await run(
      "INSERT INTO collections (name, created_at) VALUES ('other', '2026-12-02 10:00:00.000')",
    );
    await run(
      'INSERT INTO face_references (collection, ref_key, filename, content_type, size_bytes, ' +
        'embedding, box_x, box_y, box_width, box_height, model, created_at, subject) ' +
        "VALUES ('other', 'k1', 'b.jpg', 'image/jpeg', 1, ?, 0, 0, 1, 1, 'm', " +
        "'2026-12-02 10:00:00.000', 'amy')",
      [Buffer.alloc(512)],
    );
    revertKeys();
    const refused = cli(['migrate', '--revert'], env);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr + refused.stdout, /delete those collections first/);
    await run("DELETE FROM face_references WHERE collection = 'other'");

    const down = cli(['migrate', '--revert'], env);
    assert.match(down.stdout, /Reverted Collections\d+/, down.stderr);
    await stillThere(run);
    const again = cli(['migrate'], env);
    assert.match(again.stdout, /Applied Collections\d+/, again.stderr);
    await stillThere(run);
  };

  it('should move MariaDB rows into default, and undo it only with nothing elsewhere', async () => {
    const database = await createTestDatabase();
    const connection = await createConnection({ uri: database.url });
    try {
      await roundTrip({ DATABASE_URL: database.url }, async (text, parameters = []) => {
        const [result] = await connection.query(text, parameters);
        return Array.isArray(result) ? (result as Record<string, unknown>[]) : [];
      });
    } finally {
      await connection.end();
      await database.drop();
    }
  });

  it('should do the same on SQLite', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'facegate-collections-sqlite-'));
    let file: DataSource | undefined;
    const open = async () =>
      (file ??= await new DataSource({
        type: 'better-sqlite3',
        database: join(dataDir, 'facegate.sqlite'),
      }).initialize());
    try {
      await roundTrip({ DATABASE_URL: '', DATA_DIR: dataDir }, async (text, parameters = []) => {
        const source = await open();
        // Closed after each statement: the CLI in its own process rewrites the file's tables.
        try {
          const result: unknown = await source.query(text, parameters);
          return Array.isArray(result) ? (result as Record<string, unknown>[]) : [];
        } finally {
          await source.destroy();
          file = undefined;
        }
      });
    } finally {
      await file?.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
