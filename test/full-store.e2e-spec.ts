// A store that runs out of room loses nothing: a write it cannot finish is answered 507 with
// nothing stored, every write acknowledged after it is still there after a restart, and readiness
// says the store cannot take the largest upload. SQLite's page limit stands in for a full disk
// where there is no root; a real 3 MB tmpfs is used where there is; MariaDB gets a system
// tablespace that may not grow past 14 MB, on a private server.
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { TypeOrmReferenceStore } from '../src/store/typeorm/typeorm-reference.store.js';
import { fixture, startApp } from './support/app.js';
import {
  findServerProgram,
  startPrivateServer,
  type PrivateServer,
} from './support/private-database.js';
import { newReference, storeOn } from './support/store.js';

const STORAGE_FULL = {
  detail: 'Insufficient storage: the database has no room for this write; nothing was stored',
};

const reference = (key: string) => newReference(key, 20_000);

/** The keys an SQLite file in `dataDir` holds, read by a connection of its own. */
async function keysOnDisk(dataDir: string): Promise<string[]> {
  const reader = new DataSource(
    dataSourceOptions({ DATA_DIR: dataDir, DATABASE_URL: undefined, DB_RUN_MIGRATIONS: false }),
  );
  await reader.initialize();
  try {
    const rows = await reader.query<{ key: string }[]>(
      'SELECT ref_key AS key FROM face_references ORDER BY id',
    );
    return rows.map((row) => row.key);
  } finally {
    await reader.destroy();
  }
}

describe('SQLite store after SQLite rolled a failed transaction back by itself', () => {
  let dataDir: string;
  let dataSource: DataSource;
  let store: TypeOrmReferenceStore;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'facegate-settle-'));
    dataSource = new DataSource(
      dataSourceOptions({ DATA_DIR: dataDir, DATABASE_URL: undefined, DB_RUN_MIGRATIONS: true }),
    );
    await dataSource.initialize();
    store = storeOn(dataSource);
  });

  after(async () => {
    await dataSource?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should commit every write acknowledged after it, as a fresh connection reads them', async () => {
    await store.insert('default', reference('kept-then-deleted'));
    // What a COMMIT refused for lack of space does: SQLite ends the whole transaction itself.
    await dataSource.query(
      `CREATE TRIGGER refuse BEFORE INSERT ON reference_images BEGIN SELECT RAISE(ROLLBACK, 'no room'); END`,
    );
    await assert.rejects(store.insert('default', reference('refused-1')), /no room/);
    // Then a statement that fails on its own, as the next write on a full disk does.
    await dataSource.query('DROP TRIGGER refuse');
    await dataSource.query(
      `CREATE TRIGGER refuse BEFORE INSERT ON reference_images BEGIN SELECT RAISE(ABORT, 'no room'); END`,
    );
    await assert.rejects(store.insert('default', reference('refused-2')), /no room/);
    await dataSource.query('DROP TRIGGER refuse');

    await store.insert('default', reference('acknowledged-1'));
    await store.insert('default', reference('acknowledged-2'));
    assert.notEqual(await store.delete('default', 'kept-then-deleted'), null);

    assert.deepEqual(await keysOnDisk(dataDir), ['acknowledged-1', 'acknowledged-2']);
  });
});

describe('an upload the SQLite store has no room for', () => {
  let app: INestApplication;
  let server: App;
  let dataDir: string;
  let dataSource: DataSource;
  let closed = false;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'facegate-full-'));
    // A small upload limit, so that "room for the largest upload" is a few pages.
    app = await startApp({ DATA_DIR: dataDir, MAX_UPLOAD_BYTES: '100000' });
    server = app.getHttpServer() as App;
    dataSource = app.get(DataSource);
  });

  after(async () => {
    if (!closed) await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const upload = () =>
    request(server).post('/upload_reference').attach('image', fixture('person-a-1.jpg'), 'a.jpg');

  it('should answer 507 with nothing stored, report not ready, and store again once there is room', async () => {
    const { key: first } = (await upload().expect(200)).body as { key: string };
    const [{ page_count: pages }] =
      await dataSource.query<{ page_count: number }[]>('PRAGMA page_count');
    await dataSource.query(`PRAGMA max_page_count = ${pages}`);

    await upload().expect(507, STORAGE_FULL);
    const ready = await request(server).get('/health/ready').expect(503);
    assert.match(
      (ready.body as { detail: string }).detail,
      /^Not ready: storage: the SQLite file can grow by \d+ bytes; the largest upload needs \d+$/,
    );
    const listed = (await request(server).get('/list_references').expect(200)).body as {
      count: number;
    };
    assert.equal(listed.count, 1, 'nothing of the refused upload is stored');

    await dataSource.query(`PRAGMA max_page_count = ${pages + 10_000}`);
    await request(server).get('/health/ready').expect(200);
    const { key: second } = (await upload().expect(200)).body as { key: string };
    await request(server).delete(`/delete_reference/${first}`).expect(200);
    await app.close();
    closed = true;
    assert.deepEqual(await keysOnDisk(dataDir), [second]);
  });
});

/** Why a tmpfs cannot be mounted here, or undefined when it can. */
function whyNoTmpfs(): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const probe = mkdtempSync(join(tmpdir(), 'facegate-mount-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]);
  if (mounted.status !== 0) {
    rmSync(probe, { recursive: true, force: true });
    return `mount -t tmpfs failed: ${String(mounted.stderr).trim() || mounted.error?.message}`;
  }
  spawnSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return undefined;
}

const noTmpfs = whyNoTmpfs();

describe('the SQLite store on a real file system that fills up (3 MB tmpfs)', () => {
  let app: INestApplication | undefined;
  let dataDir: string;

  before(() => {
    if (noTmpfs) return;
    dataDir = mkdtempSync(join(tmpdir(), 'facegate-tmpfs-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dataDir]);
    assert.equal(mounted.status, 0, String(mounted.stderr));
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  after(() => {
    if (noTmpfs) return;
    spawnSync('umount', [dataDir]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'should keep every acknowledged upload and delete across a restart',
    { skip: noTmpfs },
    async () => {
      // A photo of about 300 KB: the disk is full after eight or nine.
      const photo = fixture('person-a-1-16bit.png');
      app = await startApp({ DATA_DIR: dataDir, MAX_UPLOAD_BYTES: '400000' });
      const server = app.getHttpServer() as App;
      const upload = () =>
        request(server).post('/upload_reference').attach('image', photo, 'a.png');
      const acknowledged: string[] = [];
      const answers: number[] = [];
      for (let attempt = 0; attempt < 14; attempt++) {
        const answer = await upload();
        answers.push(answer.status);
        if (answer.status === 200) acknowledged.push((answer.body as { key: string }).key);
        else assert.deepEqual(answer.body, STORAGE_FULL, `answer ${answer.status}`);
      }
      assert.ok(answers.includes(507), `the disk filled up: ${answers.join(',')}`);
      await request(server).get('/health/ready').expect(503);
      // Deletes free pages inside the file (if their journal fits), which uploads may reuse.
      for (const key of acknowledged.slice(0, 3)) {
        const answer = await request(server).delete(`/delete_reference/${key}`);
        answers.push(answer.status);
        if (answer.status === 200) acknowledged.splice(acknowledged.indexOf(key), 1);
        else assert.deepEqual(answer.body, STORAGE_FULL, `answer ${answer.status}`);
      }
      for (let attempt = 0; attempt < 3; attempt++) {
        const answer = await upload();
        answers.push(answer.status);
        if (answer.status === 200) acknowledged.push((answer.body as { key: string }).key);
        else assert.deepEqual(answer.body, STORAGE_FULL, `answer ${answer.status}`);
      }
      await app.close();
      app = undefined;

      app = await startApp({ DATA_DIR: dataDir, MAX_UPLOAD_BYTES: '400000' });
      const listed = (
        await request(app.getHttpServer() as App)
          .get('/list_references')
          .expect(200)
      ).body as { references: { key: string }[] };
      assert.deepEqual(
        listed.references.map((item) => item.key),
        acknowledged,
        `answers ${answers.join(',')}`,
      );
    },
  );
});

const program = findServerProgram();

describe('the MariaDB store when its tablespace is full', () => {
  let database: PrivateServer;
  let app: INestApplication;

  before(async () => {
    if (!program) return;
    database = await startPrivateServer(program, [
      '--innodb-file-per-table=OFF',
      '--innodb-data-file-path=ibdata1:12M:autoextend:max:14M',
    ]);
    app = await startApp({ DATABASE_URL: database.url, MAX_UPLOAD_BYTES: '400000' });
  });

  after(async () => {
    await app?.close();
    await database?.stop();
  });

  it(
    'should answer 507 with nothing stored and report not ready',
    { skip: program ? false : 'no MariaDB or MySQL server program is installed' },
    async () => {
      const server = app.getHttpServer() as App;
      const photo = fixture('person-a-1-16bit.png');
      const answers: number[] = [];
      let acknowledged = 0;
      while (!answers.includes(507) && answers.length < 40) {
        const answer = await request(server)
          .post('/upload_reference')
          .attach('image', photo, 'a.png');
        answers.push(answer.status);
        if (answer.status === 200) acknowledged++;
        else assert.deepEqual(answer.body, STORAGE_FULL, `answer ${answer.status}`);
      }
      assert.ok(answers.includes(507), `the tablespace filled up: ${answers.join(',')}`);
      const ready = await request(server).get('/health/ready').expect(503);
      assert.match(
        (ready.body as { detail: string }).detail,
        /^Not ready: storage: the last write was refused for lack of space \(database error \(ER_RECORD_FILE_FULL\)\)$/,
      );
      const listed = (await request(server).get('/list_references').expect(200)).body as {
        count: number;
      };
      assert.equal(listed.count, acknowledged);
    },
  );
});
