// The contract of /identify, /subjects and the paging of /list_references on the fake engine:
// validation, subjects and pages do not depend on the faces in the photos. Who is recognised in
// which photo is in identification.e2e-spec.ts, on the real models.
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { enrolGallery, GALLERY as PEOPLE, identify, upload } from '../support/calls.js';
import { fixture } from '../support/app.js';
import { startContractApp } from '../support/contract-app.js';
import type { FakeFaceAnalyser } from '../support/fake-face-analyser.js';

interface ListBody {
  count: number;
  references: { key: string; filename: string; subject?: string }[];
}

describe('identification, subjects and paging, their contract', () => {
  let app: INestApplication;
  let analyser: FakeFaceAnalyser;
  let server: App;
  let keys: Map<string, string>;

  const list = (query = '') => request(server).get(`/list_references${query}`);

  before(async () => {
    ({ app, analyser } = await startContractApp());
    server = app.getHttpServer() as App;
    keys = await enrolGallery(server);
  });

  after(async () => {
    await app?.close();
  });

  describe('POST /identify', () => {
    for (const [fields, detail] of [
      [{ limit: '0' }, /limit must not be less than 1/],
      [{ limit: '101' }, /limit must not be greater than 100/],
      [{ limit: 'many' }, /limit must be an integer/],
      [{ threshold: '2.5' }, /threshold must not be greater than 2/],
      [{ threshold: 'NaN' }, /threshold must be a number in decimal notation/],
      [{ threshold: '' }, /threshold must be a number in decimal notation/],
      [{ threshold: '0x1' }, /threshold must be a number in decimal notation/],
      [{ limit: '' }, /limit must be an integer in decimal digits/],
      [{ limit: '0x3' }, /limit must be an integer in decimal digits/],
    ] as const) {
      it(`should answer 400 for ${JSON.stringify(fields)}`, async () => {
        const body: unknown = (await identify(server, 'crop-penny-2.png', fields).expect(400)).body;
        assert.match((body as { detail: string }).detail, detail);
      });
    }

    it('should answer 400 for a photo without a face and 422 without a photo', async () => {
      analyser.facesIn = 0;
      await identify(server, 'no-face.png').expect(400, {
        detail: 'No face detected in the image. Please upload an image with a clear face.',
      });
      analyser.reset();
      await request(server)
        .post('/identify')
        .field('limit', '3')
        .expect(422, {
          detail: [{ loc: ['body', 'image'], msg: 'Field required', type: 'missing' }],
        });
      await request(server)
        .post('/identify')
        .attach('image', fixture('person-a-1.jpg'), 'a.gif')
        .expect(400, { detail: 'Invalid file extension' });
    });
  });

  describe('subjects', () => {
    it('should list every subject with its number of references', async () => {
      await upload(server, 'crop-penny-2.png', { subject: 'penny' }).expect(200);
      const body: unknown = (await request(server).get('/subjects').expect(200)).body;
      assert.deepEqual(body, {
        count: PEOPLE.length,
        subjects: PEOPLE.map((subject) => ({
          subject,
          references: subject === 'penny' ? 2 : 1,
        })),
      });
      const pennys = (await list('?subject=penny').expect(200)).body as ListBody;
      assert.equal(pennys.count, 2);
      assert.deepEqual(
        pennys.references.map((reference) => [reference.filename, reference.subject]),
        [
          ['crop-penny-1.png', 'penny'],
          ['crop-penny-2.png', 'penny'],
        ],
      );
    });

    it('should show the subject in the reference metadata, null when there is none', async () => {
      const amy = await request(server)
        .get(`/references/${keys.get('amy')}`)
        .expect(200);
      assert.equal((amy.body as { subject: string }).subject, 'amy');
      const all = (await list().expect(200)).body as ListBody;
      const untagged = all.references.find((reference) => reference.filename === 'person-a-1.jpg');
      const metadata = await request(server).get(`/references/${untagged!.key}`).expect(200);
      assert.equal((metadata.body as { subject: unknown }).subject, null);
    });

    it('should refuse a subject that is too long, repeated or has control or format characters', async () => {
      const refused = [
        ['x'.repeat(101), /subject must be shorter than or equal to 100 characters/],
        ['amy\u0000', /subject must be printable text/],
        // Bidirectional overrides and isolates would make a name display as another.
        ['amy\u202Elive', /subject must be printable text/],
        ['\u2066amy', /subject must be printable text/],
      ] as const;
      for (const [subject, detail] of refused) {
        const body: unknown = (await upload(server, 'person-a-2.jpg', { subject }).expect(400))
          .body;
        assert.match((body as { detail: string }).detail, detail);
      }
      await request(server)
        .post('/upload_reference')
        .attach('image', fixture('person-a-2.jpg'), 'a.jpg')
        .field('subject', 'one')
        .field('subject', 'two')
        .expect(400);
    });
  });

  describe('GET /list_references paging', () => {
    it('should list every reference, in the old shape, without parameters', async () => {
      const all = (await list().expect(200)).body as ListBody;
      assert.equal(all.count, all.references.length);
      const untagged = all.references.filter((reference) => reference.subject === undefined);
      assert.deepEqual(
        untagged.map((reference) => Object.keys(reference)),
        [
          ['key', 'filename'],
          ['key', 'filename'],
        ],
      );
      assert.deepEqual(
        all.references.slice(0, 3).map((reference) => reference.subject),
        PEOPLE.slice(0, 3),
      );
    });

    it('should page oldest first with count the total, up to and past the end', async () => {
      const all = ((await list().expect(200)).body as ListBody).references;
      const total = all.length;
      const page = async (query: string) => (await list(query).expect(200)).body as ListBody;
      assert.deepEqual(await page('?limit=3'), { count: total, references: all.slice(0, 3) });
      assert.deepEqual(await page('?limit=3&offset=3'), {
        count: total,
        references: all.slice(3, 6),
      });
      assert.deepEqual(await page(`?limit=3&offset=${total - 1}`), {
        count: total,
        references: all.slice(total - 1),
      });
      assert.deepEqual(await page(`?offset=${total}`), { count: total, references: [] });
      assert.deepEqual(await page('?offset=2'), { count: total, references: all.slice(2) });
      assert.deepEqual(await page('?subject=nobody'), { count: 0, references: [] });
    });

    for (const [query, detail] of [
      ['?limit=0', /limit must not be less than 1/],
      ['?limit=1001', /limit must not be greater than 1000/],
      ['?limit=', /limit must be an integer in decimal digits/],
      ['?offset=', /offset must be an integer in decimal digits/],
      ['?offset=-1', /offset must not be less than 0/],
      ['?limit=two', /limit must be an integer/],
      ['?limit=0x10', /limit must be an integer in decimal digits/],
      ['?offset=1e1', /offset must be an integer in decimal digits/],
    ] as const) {
      it(`should answer 400 for ${query}`, async () => {
        const body: unknown = (await list(query).expect(400)).body;
        assert.match((body as { detail: string }).detail, detail);
      });
    }
  });
});
