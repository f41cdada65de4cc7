import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { EnvironmentVariables } from '../src/config/environment.js';
import { fixture, startApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { pngDeclaring } from './support/png.js';
import { runRoundTrip } from './support/round-trip.js';

const NO_FACE = 'No face detected in the image. Please upload an image with a clear face.';

describe('the four documented endpoints on MariaDB', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let server: App;
  let sql: Connection;

  const upload = (name: string, as = name) =>
    request(server).post('/upload_reference').attach('image', fixture(name), as);
  const compare = (name: string, key: string, as = name) =>
    request(server)
      .post('/compare_with_reference')
      .attach('image', fixture(name), as)
      .field('reference_key', key);
  const enrol = async (name: string): Promise<string> =>
    ((await upload(name).expect(200)).body as { key: string }).key;

  before(async () => {
    database = await createTestDatabase();
    app = await startApp({ DATABASE_URL: database.url });
    server = app.getHttpServer() as App;
    sql = await createConnection({ uri: database.url });
  });

  after(async () => {
    await sql?.end();
    await app?.close();
    await database?.drop();
  });

  it('should serve the full client round trip', async () => {
    await runRoundTrip(app);
  });

  describe('POST /upload_reference', () => {
    it('should store bytes, file name, content type, embedding and face box under the key', async () => {
      const name = 'Zoë façade.JPG';
      const key = ((await upload('person-b-1.jpg', name).expect(200)).body as { key: string }).key;
      const [rows] = await sql.query<RowDataPacket[]>(
        `SELECT r.filename, r.content_type, r.size_bytes, LENGTH(r.embedding) AS embedding_bytes,
                r.box_x, r.box_y, r.box_width, r.box_height, r.model, i.bytes
           FROM face_references r JOIN reference_images i ON i.reference_id = r.id
          WHERE r.ref_key = ?`,
        [key],
      );
      assert.equal(rows.length, 1);
      const row = rows[0];
      assert.equal(row.filename, name);
      assert.equal(row.content_type, 'image/jpeg');
      assert.equal(row.size_bytes, fixture('person-b-1.jpg').length);
      assert.ok(Buffer.compare(row.bytes as Buffer, fixture('person-b-1.jpg')) === 0);
      assert.equal(row.embedding_bytes, 128 * 4);
      assert.ok((row.box_width as number) > 20 && (row.box_height as number) > 20);
      assert.match(row.model as string, /^face-api\/face_recognition_model@[0-9a-f]{12}\+p\d+$/);
    });

    for (const name of ['photo.gif', 'photo.jpg.txt', 'photo', 'photo.webp']) {
      it(`should answer 400 Invalid file extension for ${name}`, async () => {
        await upload('person-a-1.jpg', name).expect(400, { detail: 'Invalid file extension' });
      });
    }

    it('should accept .jpeg, .png and upper-case extensions', async () => {
      await upload('person-a-1.jpg', 'a.JPEG').expect(200);
      await upload('face-rectangular.png', 'b.Png').expect(200);
    });

    it('should answer 400 when the photo has no face', async () => {
      await upload('no-face.png').expect(400, { detail: NO_FACE });
    });

    it('should answer 400 Invalid image file when the bytes are not an image', async () => {
      await request(server)
        .post('/upload_reference')
        .attach('image', Buffer.from('definitely not a jpeg'), 'fake.jpg')
        .expect(400, { detail: 'Invalid image file' });
    });

    it('should judge the type by the bytes: a GIF named .jpg is refused', async () => {
      const gif = Buffer.from(
        'GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;',
        'latin1',
      );
      await request(server)
        .post('/upload_reference')
        .attach('image', gif, 'cat.jpg')
        .expect(400, { detail: 'Invalid image file' });
    });

    it('should answer 400 Invalid image file for a truncated JPEG', async () => {
      const jpeg = fixture('person-a-2.jpg');
      await request(server)
        .post('/upload_reference')
        .attach('image', jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), 'cut.jpg')
        .expect(400, { detail: 'Invalid image file' });
    });

    it('should refuse a PNG declaring 50,000 x 50,000 pixels from its header', async () => {
      const started = performance.now();
      await request(server)
        .post('/upload_reference')
        .attach('image', pngDeclaring(50_000, 50_000), 'bomb.png')
        .expect(400, { detail: 'Image too large: more than 40000000 pixels (MAX_IMAGE_PIXELS)' });
      assert.ok(performance.now() - started < 5000, 'answered without decoding');
    });

    it('should answer 422 in FastAPI form when the image field is missing', async () => {
      await request(server)
        .post('/upload_reference')
        .field('other', 'x')
        .expect(422, {
          detail: [{ loc: ['body', 'image'], msg: 'Field required', type: 'missing' }],
        });
    });
  });

  describe('POST /compare_with_reference', () => {
    let key: string;
    before(async () => {
      key = await enrol('person-a-1.jpg');
    });

    it('should report the threshold in force and distance <= threshold as verified', async () => {
      const response = await compare('person-a-2.jpg', key).expect(200);
      const { result } = response.body as {
        result: {
          verified: boolean;
          distance: number;
          threshold: number;
          similarity_metric: string;
        };
      };
      assert.equal(result.threshold, new EnvironmentVariables().FACE_MATCH_THRESHOLD);
      assert.equal(result.verified, result.distance <= result.threshold);
      assert.equal(result.similarity_metric, 'cosine');
    });

    it('should answer 400 for a threshold that is empty or not in decimal notation, on compare and verify', async () => {
      const verify = (threshold: string) =>
        request(server)
          .post('/verify')
          .attach('image1', fixture('person-a-1.jpg'), 'a.jpg')
          .attach('image2', fixture('person-a-2.jpg'), 'b.jpg')
          .field('threshold', threshold);
      for (const threshold of ['', '0x1', ' 0.1', 'Infinity']) {
        for (const call of [
          compare('person-a-2.jpg', key).field('threshold', threshold),
          verify(threshold),
        ]) {
          const response = await call;
          assert.equal(
            response.status,
            400,
            `${JSON.stringify(threshold)}: ${JSON.stringify(response.body)}`,
          );
          assert.match(
            (response.body as { detail: string }).detail,
            /^threshold must be a number in decimal notation/,
          );
        }
      }
      const { result } = (
        await compare('person-a-2.jpg', key).field('threshold', '1e-1').expect(200)
      ).body as { result: { threshold: number } };
      assert.equal(result.threshold, 0.1);
    });

    it('should answer 400 Invalid file extension before looking at the key', async () => {
      await compare('person-a-2.jpg', 'not-alnum!', 'x.bmp').expect(400, {
        detail: 'Invalid file extension',
      });
    });

    for (const bad of ['abc-def', 'abc def', '../etc/passwd', "1' OR '1'='1", 'ключ']) {
      it(`should answer 400 for the non-alphanumeric key ${JSON.stringify(bad)}`, async () => {
        await compare('person-a-2.jpg', bad).expect(400, {
          detail: 'Reference key must be alphanumeric',
        });
      });
    }

    it('should answer 404 for an unknown key, and compare keys exactly', async () => {
      await compare('person-a-2.jpg', 'deadbeef').expect(404, {
        detail: 'No reference image found with key: deadbeef',
      });
      await compare('person-a-2.jpg', key.toUpperCase()).expect(404, {
        detail: `No reference image found with key: ${key.toUpperCase()}`,
      });
    });

    it('should answer 400 when the new photo has no face', async () => {
      await compare('no-face.png', key).expect(400, { detail: NO_FACE });
    });

    it('should answer 422 naming each missing field', async () => {
      await request(server)
        .post('/compare_with_reference')
        .attach('image', fixture('person-a-2.jpg'), 'a.jpg')
        .expect(422, {
          detail: [{ loc: ['body', 'reference_key'], msg: 'Field required', type: 'missing' }],
        });
      await request(server)
        .post('/compare_with_reference')
        .field('reference_key', key)
        .expect(422, {
          detail: [{ loc: ['body', 'image'], msg: 'Field required', type: 'missing' }],
        });
      await request(server)
        .post('/compare_with_reference')
        .expect(422, {
          detail: [
            { loc: ['body', 'image'], msg: 'Field required', type: 'missing' },
            { loc: ['body', 'reference_key'], msg: 'Field required', type: 'missing' },
          ],
        });
    });
  });

  describe('GET /list_references and DELETE /delete_reference/{key}', () => {
    it('should list oldest first with only key and file name', async () => {
      const first = await enrol('person-b-2.jpg');
      const second = await enrol('person-a-2.jpg');
      const response = await request(server).get('/list_references').expect(200);
      const { count, references } = response.body as {
        count: number;
        references: { key: string; filename: string }[];
      };
      assert.equal(count, references.length);
      const keys = references.map((item) => item.key);
      assert.ok(keys.indexOf(first) < keys.indexOf(second));
      assert.deepEqual(references[keys.indexOf(second)], {
        key: second,
        filename: 'person-a-2.jpg',
      });
    });

    it('should delete image and embedding together', async () => {
      const key = await enrol('person-b-2.jpg');
      await request(server).delete(`/delete_reference/${key}`).expect(200);
      const [rows] = await sql.query<RowDataPacket[]>(
        'SELECT COUNT(*) AS n FROM face_references WHERE ref_key = ?',
        [key],
      );
      const [images] = await sql.query<RowDataPacket[]>(
        'SELECT COUNT(*) AS n FROM reference_images i LEFT JOIN face_references r ON r.id = i.reference_id WHERE r.id IS NULL',
      );
      assert.equal(Number(rows[0].n), 0);
      assert.equal(Number(images[0].n), 0, 'no orphaned image rows');
    });

    it('should answer 400 Invalid reference key for a non-alphanumeric key', async () => {
      await request(server)
        .delete('/delete_reference/abc-def')
        .expect(400, { detail: 'Invalid reference key' });
    });

    it('should answer 404 for an unknown key', async () => {
      await request(server)
        .delete('/delete_reference/0123456789abcdef0123456789abcdef')
        .expect(404, {
          detail: 'No reference embedding found with key: 0123456789abcdef0123456789abcdef',
        });
    });
  });

  describe('GET /references/{key} and /references/{key}/image', () => {
    it('should describe a reference without its bytes', async () => {
      const key = await enrol('person-b-2.jpg');
      const response = await request(server).get(`/references/${key}`).expect(200);
      const body = response.body as Record<string, unknown> & { face_box: { w: number } };
      assert.equal(body.key, key);
      assert.equal(body.filename, 'person-b-2.jpg');
      assert.equal(body.content_type, 'image/jpeg');
      assert.equal(body.size_bytes, fixture('person-b-2.jpg').length);
      assert.ok(body.face_box.w > 20);
      assert.match(body.model as string, /\+p\d+$/);
      assert.ok(Math.abs(Date.parse(body.created_at as string) - Date.now()) < 60_000);
      assert.deepEqual(Object.keys(body).sort(), [
        'content_type',
        'created_at',
        'face_box',
        'face_quality',
        'filename',
        'key',
        'model',
        'sha256',
        'size_bytes',
        'subject',
      ]);
      assert.equal(body.subject, null);
      // What bulk enrolment recognises a photo by: the digest of the bytes as uploaded.
      assert.equal(
        body.sha256,
        createHash('sha256').update(fixture('person-b-2.jpg')).digest('hex'),
      );
    });

    it('should answer 400 and 404 as delete does', async () => {
      await request(server).get('/references/a-b').expect(400, { detail: 'Invalid reference key' });
      await request(server)
        .get('/references/abc/image')
        .expect(404, { detail: 'No reference embedding found with key: abc' });
    });
  });

  describe('when the database fails', () => {
    it('should answer 500 with the documented prefix, and leave no half-written upload', async () => {
      const before = (
        (await request(server).get('/list_references').expect(200)).body as {
          count: number;
        }
      ).count;
      const key = await enrol('person-a-1.jpg');

      // The metadata insert succeeds, the image insert fails: the transaction must undo both.
      await sql.query('RENAME TABLE reference_images TO reference_images_away');
      try {
        const failed = await upload('person-b-1.jpg').expect(500);
        assert.match((failed.body as { detail: string }).detail, /^Error processing image: .+/);
        const deleted = await request(server).delete(`/delete_reference/${key}`).expect(500);
        assert.match((deleted.body as { detail: string }).detail, /^Error deleting embedding: .+/);
      } finally {
        await sql.query('RENAME TABLE reference_images_away TO reference_images');
      }

      await sql.query('RENAME TABLE face_references TO face_references_away');
      try {
        const listed = await request(server).get('/list_references').expect(500);
        assert.match((listed.body as { detail: string }).detail, /^Error listing embeddings: .+/);
        const compared = await compare('person-a-2.jpg', key).expect(500);
        assert.match((compared.body as { detail: string }).detail, /^Error processing image: .+/);
      } finally {
        await sql.query('RENAME TABLE face_references_away TO face_references');
      }

      const after = (await request(server).get('/list_references').expect(200)).body as {
        count: number;
        references: { key: string }[];
      };
      assert.equal(after.count, before + 1, 'the failed upload left no row');
      assert.ok(
        after.references.some((item) => item.key === key),
        'the failed delete kept the reference',
      );
      await compare('person-a-2.jpg', key).expect(200);
    });
  });

  it('should answer unknown routes with {"detail": "Not Found"}', async () => {
    await request(server).get('/nope').expect(404, { detail: 'Not Found' });
  });
});
