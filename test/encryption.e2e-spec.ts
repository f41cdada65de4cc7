import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import sharp from 'sharp';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { projectRoot } from '../src/common/project-root.js';
import { ENVELOPE_MAGIC, envelopeFormat, keyIdOf } from '../src/store/image-cipher.js';
import { fixture, startApp, type EnvOverrides } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { sealFormat1 } from './support/format1-envelope.js';
import { downloadBytes, downloadImage, enrolFixture } from './support/round-trip.js';

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
  const writeStoredBytes = async (key: string, bytes: Buffer): Promise<void> => {
    await sql.query(
      `UPDATE reference_images i JOIN face_references r ON r.id = i.reference_id
          SET i.bytes = ? WHERE r.ref_key = ?`,
      [bytes, key],
    );
  };
  const assertIntegrityFailure = async (key: string): Promise<void> => {
    await request(server).get(`/references/${key}/image`).expect(500, {
      detail: 'Stored image failed its integrity check',
    });
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

  it('should download the sealed image byte for byte, and the older plaintext one only with ENCRYPTION_ALLOW_PLAINTEXT', async () => {
    await assertDownloadsAsUploaded(sealedKey, 'person-a-1.jpg');
    await assertIntegrityFailure(plainKey);
    await restart({
      ENCRYPTION_KEY: OLD_KEY.toString('base64'),
      ENCRYPTION_ALLOW_PLAINTEXT: 'true',
    });
    await assertDownloadsAsUploaded(plainKey, 'person-b-1.jpg');
    await assertDownloadsAsUploaded(sealedKey, 'person-a-1.jpg');
    await restart({ ENCRYPTION_KEY: OLD_KEY.toString('base64') });
  });

  it('should crop the face thumbnail from the sealed photo, and refuse the plaintext row as the download does', async () => {
    const face = await downloadBytes(server, `/references/${sealedKey}/face?size=64`).expect(200);
    const { width, format } = await sharp(face.body as Buffer).metadata();
    assert.deepEqual([format, width], ['jpeg', 64]);
    await request(server).get(`/references/${plainKey}/face`).expect(500, {
      detail: 'Stored image failed its integrity check',
    });
  });

  it("should refuse an envelope moved into another reference's row", async () => {
    const other = await upload('person-b-2.jpg');
    const [mine, theirs] = [await storedBytes(sealedKey), await storedBytes(other)];
    await writeStoredBytes(sealedKey, theirs);
    await writeStoredBytes(other, mine);
    await assertIntegrityFailure(sealedKey);
    await assertIntegrityFailure(other);
    await writeStoredBytes(sealedKey, mine);
    await writeStoredBytes(other, theirs);
    await assertDownloadsAsUploaded(sealedKey, 'person-a-1.jpg');
    await request(server).delete(`/delete_reference/${other}`).expect(200);
  });

  it('should refuse plain bytes written into an encrypted store', async () => {
    const sealed = await storedBytes(sealedKey);
    await writeStoredBytes(sealedKey, fixture('person-b-1.jpg'));
    await assertIntegrityFailure(sealedKey);
    await writeStoredBytes(sealedKey, sealed);
    await assertDownloadsAsUploaded(sealedKey, 'person-a-1.jpg');
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
    // A row as format 1 sealed it, with the current key: it opens, and reencrypt binds it.
    const legacyKey = await upload('person-a-2.jpg');
    await writeStoredBytes(legacyKey, sealFormat1(NEW_KEY, fixture('person-a-2.jpg')));
    await assertDownloadsAsUploaded(legacyKey, 'person-a-2.jpg');

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
      /Done: 4 images, 1 re-sealed from a previous key, 1 plaintext sealed, 1 format-1 envelopes bound to their reference, 1 already current, 0 failed/,
    );
    const second = reencrypt();
    assert.equal(second.status, 0, second.stderr + second.stdout);
    assert.match(
      second.stdout,
      /Done: 4 images, 0 re-sealed .*, 0 plaintext sealed, 0 format-1 .*, 4 already current/,
    );

    for (const key of [plainKey, sealedKey, newKey, legacyKey]) {
      const stored = await storedBytes(key);
      assert.equal(envelopeFormat(stored), 2);
      assert.equal(
        stored.subarray(ENVELOPE_MAGIC.length, ENVELOPE_MAGIC.length + 4).toString('hex'),
        keyIdOf(NEW_KEY),
      );
    }
    await restart({ ENCRYPTION_KEY: NEW_KEY.toString('base64') });
    await assertDownloadsAsUploaded(plainKey, 'person-b-1.jpg');
    await assertDownloadsAsUploaded(sealedKey, 'person-a-1.jpg');
    await assertDownloadsAsUploaded(newKey, 'person-b-2.jpg');
    await assertDownloadsAsUploaded(legacyKey, 'person-a-2.jpg');
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
    await assertIntegrityFailure(sealedKey);
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
