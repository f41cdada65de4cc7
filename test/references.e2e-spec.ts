import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { EnvironmentVariables } from '../src/config/environment.js';
import * as calls from './support/calls.js';
import { fixture, startApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { pngDeclaring } from './support/png.js';
import { downloadBytes, runRoundTrip } from './support/round-trip.js';

interface VerifyResult {
  verified: boolean;
  facial_areas: { img1: { w: number } };
}

const NO_FACE = 'No face detected in the image. Please upload an image with a clear face.';

describe('the four documented endpoints on MariaDB', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let server: App;
  let sql: Connection;

  const upload = (name: string, as = name) => calls.upload(server, name, { as });
  const compare = (name: string, key: string, as = name) => calls.compare(server, name, key, as);
  const enrol = (name: string) => calls.enrol(server, name);

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

    it('should accept .jpeg, .png and upper-case extensions', async () => {
      await upload('person-a-1.jpg', 'a.JPEG').expect(200);
      await upload('face-rectangular.png', 'b.Png').expect(200);
    });

    it('should answer 400 when the photo has no face', async () => {
      await upload('no-face.png').expect(400, { detail: NO_FACE });
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

    it('should answer 400 when the new photo has no face', async () => {
      await compare('no-face.png', key).expect(400, { detail: NO_FACE });
    });
  });

  describe('GET /references/{key}/face', () => {
    for (const name of ['person-a-1.jpg', 'person-a-1-exif6.jpg']) {
      it(`should crop the enrolled face of ${name}: the thumbnail is the same person, the face filling it`, async () => {
        const key = await enrol(name);
        const thumbnail = await downloadBytes(server, `/references/${key}/face?size=160`).expect(
          200,
        );
        const verdict = await request(server)
          .post('/verify')
          .attach('image1', thumbnail.body as Buffer, 'face.jpg')
          .attach('image2', fixture('person-a-2.jpg'), 'a2.jpg')
          .expect(200);
        const body = verdict.body as { result: VerifyResult };
        const { verified, facial_areas } = body.result;
        assert.equal(verified, true);
        // The crop leaves a quarter of the face's side on each side: the face is about 2/3 of it.
        assert.ok(facial_areas.img1.w > 80 && facial_areas.img1.w < 150, JSON.stringify(body));
      });
    }
  });

  describe('DELETE /delete_reference/{key}', () => {
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
});
