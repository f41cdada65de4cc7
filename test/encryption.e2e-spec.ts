import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { projectRoot } from '../src/common/project-root.js';
import { ENVELOPE_MAGIC, keyIdOf } from '../src/references/persistence/image-cipher.js';
import { fixture, startApp, type EnvOverrides } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { downloadImage, enrolFixture } from './support/round-trip.js';

const OLD_KEY = randomBytes(32);
const NEW_KEY = randomBytes(32);

describe('encryption at rest on MariaDB', () => {
  let database: TestDatabase;
  let sql: Connection;
  let app: INestApplication | undefined;
  let server: App;
  /** Uploaded before encryption was on: stays plaintext until the reencrypt command runs. */
  let plainKey: string;
  /** Uploaded with OLD_KEY. */
  let sealedKey: string;

  const restart = async (overrides: EnvOverrides): Promise<void> => {
    await app?.close();
    app = await startApp({ DATABASE_URL: database.url, FACE_WORKERS: '1', ...overrides });
    server = app.getHttpServer() as App;
  };
  const storedBytes = async (key: string): Promise<Buffer> => {
    const [rows] = await sql.query<RowDataPacket[]>(
      `SELECT i.bytes FROM reference_images i JOIN face_references r ON r.id = i.reference_id
        WHERE r.ref_key = ?`,
      [key],
    );
    assert.equal(rows.length, 1);
    return rows[0].bytes as Buffer;
  };
  const assertDownloadsAsUploaded = async (key: string, name: string): Promise<void> => {
    const response = await downloadImage(server, key).expect(200);
    assert.ok((response.body as Buffer).equals(fixture(name)), `${name} byte-equal`);
  };
  const upload = (name: string): Promise<string> => enrolFixture(server, name);

  before(async () => {
    database = await createTestDatabase();
    sql = await createConnection({ uri: database.url });
    await restart({});
    plainKey = await upload('person-b-1.jpg');
    await restart({ ENCRYPTION_KEY: OLD_KEY.toString('base64') });
    sealedKey = await upload('person-a-1.jpg');
  });

  after(async () => {
    await sql?.end();
    await app?.close();
    await database?.drop();
  });

  it('should store only an envelope: the prefix, the key id, and none of the uploaded bytes', async () => {
    const stored = await storedBytes(sealedKey);
    const uploaded = fixture('person-a-1.jpg');
    assert.ok(stored.subarray(0, ENVELOPE_MAGIC.length).equals(ENVELOPE_MAGIC));
    assert.equal(
      stored.subarray(ENVELOPE_MAGIC.length, ENVELOPE_MAGIC.length + 4).toString('hex'),
      keyIdOf(OLD_KEY),
    );
    for (let offset = 0; offset + 16 <= uploaded.length; offset += 4096) {
      assert.equal(stored.indexOf(uploaded.subarray(offset, offset + 16)), -1, `run at ${offset}`);
    }
    assert.ok((await storedBytes(plainKey)).equals(fixture('person-b-1.jpg')), 'old row as is');
  });

  it('should download both the sealed and the older plaintext image byte for byte', async () => {
    await assertDownloadsAsUploaded(sealedKey, 'person-a-1.jpg');
    await assertDownloadsAsUploaded(plainKey, 'person-b-1.jpg');
  });

  it('should still list and compare', async () => {
    const listed = await request(server).get('/list_references').expect(200);
    assert.deepEqual(
      (listed.body as { references: { key: string }[] }).references.map(({ key }) => key),
      [plainKey, sealedKey],
    );
    const same = await request(server)
      .post('/compare_with_reference')
      .attach('image', fixture('person-a-2.jpg'), 'person-a-2.jpg')
      .field('reference_key', sealedKey)
      .expect(200);
    assert.equal((same.body as { result: { verified: boolean } }).result.verified, true);
  });

  it('should read old envelopes after a rotation, and only the new key after the reencrypt command', async () => {
    await restart({
      ENCRYPTION_KEY: NEW_KEY.toString('hex'),
      ENCRYPTION_PREVIOUS_KEYS: OLD_KEY.toString('base64'),
    });
    await assertDownloadsAsUploaded(sealedKey, 'person-a-1.jpg');
    const newKey = await upload('person-b-2.jpg');

    const reencrypt = () =>
      spawnSync(process.execPath, [join(projectRoot(), 'build', 'src', 'cli.js'), 'reencrypt'], {
        // Away from the project's folder and a developer's .env there.
        cwd: tmpdir(),
        env: {
          ...process.env,
          DATABASE_URL: database.url,
          ENCRYPTION_KEY: NEW_KEY.toString('base64'),
          ENCRYPTION_PREVIOUS_KEYS: OLD_KEY.toString('hex'),
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const first = reencrypt();
    assert.equal(first.status, 0, first.stderr + first.stdout);
    assert.match(
      first.stdout,
      /Done: 3 images, 1 re-sealed from a previous key, 1 plaintext sealed, 1 already current, 0 failed/,
    );
    const second = reencrypt();
    assert.equal(second.status, 0, second.stderr + second.stdout);
    assert.match(
      second.stdout,
      /Done: 3 images, 0 re-sealed .*, 0 plaintext sealed, 3 already current/,
    );

    for (const key of [plainKey, sealedKey, newKey]) {
      const stored = await storedBytes(key);
      assert.equal(
        stored.subarray(ENVELOPE_MAGIC.length, ENVELOPE_MAGIC.length + 4).toString('hex'),
        keyIdOf(NEW_KEY),
      );
    }
    await restart({ ENCRYPTION_KEY: NEW_KEY.toString('base64') });
    await assertDownloadsAsUploaded(plainKey, 'person-b-1.jpg');
    await assertDownloadsAsUploaded(sealedKey, 'person-a-1.jpg');
    await assertDownloadsAsUploaded(newKey, 'person-b-2.jpg');
  });

  it('should answer a clear 500 when the key of an envelope is not configured', async () => {
    await restart({});
    await request(server).get(`/references/${sealedKey}/image`).expect(500, {
      detail: 'Stored image is encrypted with a key that is not configured',
    });
    // The metadata and the embedding need no key.
    await request(server).get(`/references/${sealedKey}`).expect(200);
    await request(server).get('/list_references').expect(200);
  });

  it('should answer 500, never other bytes, when the ciphertext was altered', async () => {
    await restart({ ENCRYPTION_KEY: NEW_KEY.toString('base64') });
    await sql.query(
      `UPDATE reference_images i JOIN face_references r ON r.id = i.reference_id
          SET i.bytes = CONCAT(LEFT(i.bytes, 100), CHAR(ASCII(SUBSTRING(i.bytes, 101, 1)) ^ 1),
                               SUBSTRING(i.bytes, 102))
        WHERE r.ref_key = ?`,
      [sealedKey],
    );
    await request(server).get(`/references/${sealedKey}/image`).expect(500, {
      detail: 'Stored image failed its integrity check',
    });
    await assertDownloadsAsUploaded(plainKey, 'person-b-1.jpg');
  });

  it('should exit 1 at start naming ENCRYPTION_KEY, never printing it, when the key is malformed', () => {
    const bad = `${NEW_KEY.toString('hex').slice(0, 60)}zz`;
    const run = spawnSync(process.execPath, [join(projectRoot(), 'build', 'src', 'main.js')], {
      env: { ...process.env, ENCRYPTION_KEY: bad },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /ENCRYPTION_KEY=\(hidden\)/);
    assert.ok(!(run.stderr + run.stdout).includes(bad.slice(0, 40)));
  });
});
