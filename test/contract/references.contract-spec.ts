// The HTTP contract of the four documented endpoints and the reference routes, on the fake engine:
// what a photo's faces do not decide (validation, keys, paging, deletion, error bodies). What the
// faces decide, and the MariaDB store's own behaviour, is in references.e2e-spec.ts.
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import * as calls from '../support/calls.js';
import { fixture } from '../support/app.js';
import { startContractApp } from '../support/contract-app.js';

describe('the four documented endpoints, their contract', () => {
  let app: INestApplication;
  let server: App;

  const upload = (name: string, as = name) => calls.upload(server, name, { as });
  const compare = (name: string, key: string, as = name) => calls.compare(server, name, key, as);
  const enrol = (name: string) => calls.enrol(server, name);

  before(async () => {
    ({ app } = await startContractApp());
    server = app.getHttpServer() as App;
  });

  after(async () => {
    await app?.close();
  });

  describe('POST /upload_reference', () => {
    for (const name of ['photo.gif', 'photo.jpg.txt', 'photo', 'photo.webp']) {
      it(`should answer 400 Invalid file extension for ${name}`, async () => {
        await upload('person-a-1.jpg', name).expect(400, { detail: 'Invalid file extension' });
      });
    }

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

  it('should answer unknown routes with {"detail": "Not Found"}', async () => {
    await request(server).get('/nope').expect(404, { detail: 'Not Found' });
  });
});
