// Every limit of the database is checked by the service before any work, so what the service
// accepts the database stores: the largest upload and the longest fields, on MariaDB as it is
// installed (max_allowed_packet 16 MiB), and a start-up that refuses an upload limit the server
// could not store, whatever the server's limit is.
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { projectRoot } from '../src/common/project-root.js';
import { EnvironmentVariables } from '../src/config/environment.js';
import { fixture, startApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { connectToServer } from './support/private-database.js';
import { downloadImage } from './support/round-trip.js';

/** The server's max_allowed_packet, in bytes. */
async function serverMaxAllowedPacket(url: string): Promise<number> {
  const connection = await connectToServer(url);
  try {
    const [rows] = await connection.query('SELECT @@max_allowed_packet AS packet');
    return Number((rows as { packet: number | string }[])[0].packet);
  } finally {
    await connection.end();
  }
}

/** A JPEG of `size` bytes that decodes as `photo` does: APP15 segments of noise after its SOI. */
function paddedJpeg(photo: Buffer, size: number): Buffer {
  const segments: Buffer[] = [photo.subarray(0, 2)];
  let total = photo.length;
  while (total < size) {
    const payload = Math.min(65_533, size - total - 4);
    if (payload < 1) break;
    const header = Buffer.from([0xff, 0xef, (payload + 2) >> 8, (payload + 2) & 0xff]);
    segments.push(header, randomBytes(payload));
    total += 4 + payload;
  }
  segments.push(photo.subarray(2));
  return Buffer.concat(segments);
}

describe('database limits checked first, on MariaDB with its default settings', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let server: App;
  const maxUpload = new EnvironmentVariables().MAX_UPLOAD_BYTES;

  before(async () => {
    database = await createTestDatabase();
    app = await startApp({ DATABASE_URL: database.url });
    server = app.getHttpServer() as App;
  });

  after(async () => {
    await app?.close();
    await database?.drop();
  });

  const upload = (bytes: Buffer, filename: string, subject?: string) => {
    const call = request(server).post('/upload_reference');
    if (subject !== undefined) void call.field('subject', subject);
    return call.attach('image', bytes, filename);
  };

  it('should store and give back the largest upload MAX_UPLOAD_BYTES allows, sealed by reencrypt too', async () => {
    const photo = paddedJpeg(fixture('person-a-1.jpg'), maxUpload - 1024);
    const { key } = (await upload(photo, 'large.jpg').expect(200)).body as { key: string };
    const { body: stored } = (await downloadImage(server, key).expect(200)) as { body: Buffer };
    assert.ok(stored.equals(photo), 'the same bytes back');

    const encryptionKey = randomBytes(32).toString('base64');
    const reencrypt = spawnSync(
      process.execPath,
      [join(projectRoot(), 'build', 'src', 'cli.js'), 'reencrypt'],
      {
        env: { ...process.env, DATABASE_URL: database.url, ENCRYPTION_KEY: encryptionKey },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.equal(reencrypt.status, 0, reencrypt.stderr + reencrypt.stdout);
    await app.close();
    app = await startApp({ DATABASE_URL: database.url, ENCRYPTION_KEY: encryptionKey });
    server = app.getHttpServer() as App;
    const { body: opened } = (await downloadImage(server, key).expect(200)) as { body: Buffer };
    assert.ok(opened.equals(photo), 'the same bytes back from the envelope');
  });

  it('should store a filename of 1024 characters, and refuse a longer one before any work', async () => {
    // Four-byte characters: the column counts characters, not bytes.
    const longest = `${'😀'.repeat(1020)}.jpg`;
    const { key } = (await upload(fixture('person-a-1.jpg'), longest).expect(200)).body as {
      key: string;
    };
    const listed = (await request(server).get('/list_references').expect(200)).body as {
      references: { key: string; filename: string }[];
    };
    assert.equal(listed.references.find((item) => item.key === key)?.filename, longest);
    await upload(fixture('no-face.png'), `${'a'.repeat(1021)}.png`).expect(400, {
      detail: 'Filename too long: at most 1024 characters',
    });
  });

  it('should store a subject of 100 characters, whatever they are, and refuse 101', async () => {
    // Variation selectors are characters to the database, though some validators skip them.
    const longest = '✌\uFE0F'.repeat(50);
    await upload(fixture('person-a-2.jpg'), 'a.jpg', longest).expect(200);
    const subjects = (await request(server).get('/subjects').expect(200)).body as {
      subjects: { subject: string }[];
    };
    assert.ok(subjects.subjects.some(({ subject }) => subject === longest));
    await upload(fixture('person-a-2.jpg'), 'a.jpg', `${longest}x`).expect(400);
  });
});

describe('an upload limit the database cannot hold', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database?.drop();
  });

  it('should stop the service at start with a message naming both limits', async () => {
    // The server's own limit, whatever it is set to (MariaDB installs with 16 MiB, MySQL 8 with
    // 64 MiB): an upload limit twice as large can never fit.
    const packet = await serverMaxAllowedPacket(database.url);
    const tooLarge = 2 * packet;
    const starting = startApp({
      DATABASE_URL: database.url,
      MAX_UPLOAD_BYTES: String(tooLarge),
    }).then((app) => app.close());
    await assert.rejects(
      starting,
      new RegExp(`MAX_UPLOAD_BYTES=${tooLarge} .*max_allowed_packet=${packet}\\b`),
    );
  });
});
