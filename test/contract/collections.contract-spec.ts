import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { fixture } from '../support/app.js';
import { compare, identify, upload } from '../support/calls.js';
import { startContractApp } from '../support/contract-app.js';

const INVALID_NAME =
  'Invalid collection name: 1 to 64 letters, digits, underscores, dots or hyphens, ' +
  'beginning with a letter or a digit';

/** Collections with API_KEYS unset: every request acts as an admin's, naming any collection. */
describe('collections', () => {
  let app: INestApplication;
  let server: App;

  before(async () => {
    app = (await startContractApp()).app;
    server = app.getHttpServer() as App;
  });

  after(async () => {
    await app?.close();
  });

  const make = (name: string) => request(server).post('/collections').send({ name });
  const listed = async () =>
    (await request(server).get('/collections').expect(200)).body as {
      count: number;
      collections: { name: string; references: number; persons: number; created_at: string }[];
    };
  const enrolIn = async (collection: string, photo: string, subject?: string) =>
    (
      (await upload(server, photo, { subject }).set('X-Collection', collection).expect(200))
        .body as { key: string }
    ).key;

  describe('POST, GET and DELETE /collections', () => {
    it('should make a collection (201), refuse the same name again (409) and list it with default', async () => {
      const made = await make('front-door').expect(201);
      const body = made.body as Record<string, unknown>;
      assert.deepEqual(
        { ...body, created_at: undefined },
        {
          name: 'front-door',
          created_at: undefined,
          references: 0,
          persons: 0,
        },
      );
      assert.ok(!Number.isNaN(Date.parse(String(body.created_at))));
      await make('front-door').expect(409, { detail: "Collection 'front-door' already exists" });
      await make('default').expect(409, { detail: "Collection 'default' already exists" });
      const names = (await listed()).collections.map(({ name }) => name);
      assert.ok(names.includes('default') && names.includes('front-door'));
    });

    it('should refuse a name outside 1-64 of letters, digits, _ . - (starting alphanumeric) with 400', async () => {
      for (const name of ['', '.', '..', '-x', 'a b', 'shöp', 'a/b', 'a'.repeat(65)]) {
        await make(name).expect(400, { detail: INVALID_NAME });
      }
      await request(server).post('/collections').send({}).expect(400, { detail: INVALID_NAME });
      await request(server)
        .post('/collections')
        .send({ name: 7 })
        .expect(400, { detail: INVALID_NAME });
      await make('a'.repeat(64)).expect(201);
      await make('Case.Sensitive_1-x').expect(201);
      await make('case.sensitive_1-x').expect(201);
    });

    it('should count references and persons per collection', async () => {
      await make('counted').expect(201);
      await enrolIn('counted', 'person-a-1.jpg', 'ann');
      await enrolIn('counted', 'person-a-2.jpg', 'ann');
      await enrolIn('counted', 'person-b-1.jpg');
      const counted = (await listed()).collections.find(({ name }) => name === 'counted');
      assert.deepEqual(
        { references: counted?.references, persons: counted?.persons },
        { references: 3, persons: 1 },
      );
      const metrics = await request(server).get('/metrics').expect(200);
      assert.match(metrics.text, /^face_collection_references\{collection="counted"\} 3$/m);
    });

    it('should not delete default (409), nor one that does not exist (404)', async () => {
      const refused = await request(server).delete('/collections/default').expect(409);
      assert.match((refused.body as { detail: string }).detail, /'default' cannot be deleted/);
      await request(server)
        .delete('/collections/nowhere')
        .expect(404, { detail: "Collection 'nowhere' not found" });
      await request(server).delete('/collections/bad%20name').expect(400, { detail: INVALID_NAME });
    });

    it('should erase a collection and everything in it, and nothing of another', async () => {
      await make('leaving').expect(201);
      const key = await enrolIn('leaving', 'person-a-1.jpg', 'amy');
      await request(server)
        .put('/subjects/amy')
        .set('X-Collection', 'leaving')
        .send({ metadata: { badge: 1 } })
        .expect(200);
      const kept = await enrolIn('default', 'person-a-1.jpg', 'amy');

      await request(server)
        .delete('/collections/leaving')
        .expect(200, { success: true, references: 1, persons: 1 });
      assert.ok(!(await listed()).collections.some(({ name }) => name === 'leaving'));
      await request(server)
        .get(`/references/${key}`)
        .set('X-Collection', 'leaving')
        .expect(404, { detail: "Collection 'leaving' not found" });
      await request(server).get(`/references/${kept}`).expect(200);
      // Made again, it is empty: nothing of the erased one comes back.
      await make('leaving').expect(201);
      await request(server).get(`/references/${key}`).set('X-Collection', 'leaving').expect(404);
      await request(server).get('/subjects/amy').set('X-Collection', 'leaving').expect(404);
      await request(server).delete(`/delete_reference/${kept}`).expect(200);
    });

    it('should record collection changes in the audit trail under the collection', async () => {
      await make('audited').expect(201);
      await request(server).delete('/collections/audited').expect(200);
      const { entries } = (
        await request(server).get('/audit?action=collection-create&limit=100').expect(200)
      ).body as { entries: { collection: string; outcome: number }[] };
      assert.ok(entries.some((entry) => entry.collection === 'audited' && entry.outcome === 201));
      const deleted = (
        await request(server).get('/audit?action=collection-delete&limit=100').expect(200)
      ).body as { entries: { collection: string; outcome: number }[] };
      assert.ok(deleted.entries.some((e) => e.collection === 'audited' && e.outcome === 200));
    });
  });

  describe('X-Collection', () => {
    it('should answer 404 {"detail": "Collection \'x\' not found"} on every route in a collection', async () => {
      const notFound = { detail: "Collection 'nowhere' not found" };
      const calls = [
        upload(server, 'person-a-1.jpg'),
        compare(server, 'person-a-1.jpg', 'abc'),
        request(server).get('/list_references'),
        request(server).get('/subjects'),
        request(server).get('/references/abc'),
        request(server).get('/references/abc/image'),
        request(server).get('/references/abc/face'),
        request(server).delete('/delete_reference/abc'),
        identify(server, 'person-a-1.jpg'),
        request(server).get('/subjects/amy'),
        request(server).put('/subjects/amy').send({ metadata: {} }),
        request(server).delete('/subjects/amy'),
        request(server)
          .post('/subjects/amy/verify')
          .attach('image', fixture('person-a-1.jpg'), 'a.jpg'),
      ];
      for (const call of calls) await call.set('X-Collection', 'nowhere').expect(404, notFound);
    });

    it('should answer 400 for a header that names no collection', async () => {
      await request(server)
        .get('/list_references')
        .set('X-Collection', 'no such name')
        .expect(400, { detail: INVALID_NAME });
    });

    it('should leave the routes across collections alone', async () => {
      await request(server).get('/collections').set('X-Collection', 'nowhere').expect(200);
      await request(server).get('/audit').set('X-Collection', 'nowhere').expect(200);
      await request(server).get('/health/live').set('X-Collection', 'nowhere').expect(200);
    });
  });

  describe('no oracle: another collection’s reference answers as a missing one', () => {
    let theirs: string;
    const missing = '0123456789abcdef0123456789abcdef';

    before(async () => {
      await make('other').expect(201);
      theirs = await enrolIn('default', 'person-a-1.jpg', 'hidden-person');
    });

    /** The answer with the key named in it made neutral, so that two keys compare. */
    const answerOf = async (call: request.Test, key: string) => {
      const response = await call.set('X-Collection', 'other');
      return {
        status: response.status,
        body: JSON.parse(JSON.stringify(response.body).replaceAll(key, '<key>')) as unknown,
      };
    };

    it('should give the same status and body as a missing key on every reference route', async () => {
      const routes: ((key: string) => request.Test)[] = [
        (key) => compare(server, 'person-a-1.jpg', key),
        (key) => request(server).get(`/references/${key}`),
        (key) => request(server).get(`/references/${key}/image`),
        (key) => request(server).get(`/references/${key}/face?size=48`),
        (key) => request(server).delete(`/delete_reference/${key}`),
        (key) => request(server).delete(`/delete_reference/${key}`).set('Idempotency-Key', key),
      ];
      for (const route of routes) {
        const forTheirs = await answerOf(route(theirs), theirs);
        const forMissing = await answerOf(route(missing), missing);
        assert.equal(forTheirs.status, 404);
        assert.deepEqual(forTheirs, forMissing);
      }
      // And it is still there, untouched, in its own collection.
      await request(server).get(`/references/${theirs}`).expect(200);
    });

    it('should give the same status and body as a missing subject on every person route', async () => {
      const routes: ((subject: string) => request.Test)[] = [
        (subject) => request(server).get(`/subjects/${subject}`),
        (subject) =>
          request(server)
            .put(`/subjects/${subject}`)
            .send({ metadata: { a: 1 } }),
        (subject) => request(server).delete(`/subjects/${subject}`),
        (subject) =>
          request(server)
            .post(`/subjects/${subject}/verify`)
            .attach('image', fixture('person-a-1.jpg'), 'a.jpg'),
      ];
      for (const route of routes) {
        const forTheirs = await answerOf(route('hidden-person'), 'hidden-person');
        const forMissing = await answerOf(route('nobody-at-all'), 'nobody-at-all');
        assert.equal(forTheirs.status, 404);
        assert.deepEqual(forTheirs, forMissing);
      }
      await request(server).get('/subjects/hidden-person').expect(200);
    });

    it('should neither list, count nor identify what another collection holds', async () => {
      const list = await request(server).get('/list_references').set('X-Collection', 'other');
      assert.ok(!JSON.stringify(list.body).includes(theirs));
      const subjects = await request(server).get('/subjects').set('X-Collection', 'other');
      assert.ok(!JSON.stringify(subjects.body).includes('hidden-person'));
      // The same photo as the enrolled one: the fake engine matches it with itself, in default only.
      const found = await identify(server, 'person-a-1.jpg')
        .set('X-Collection', 'other')
        .expect(200);
      assert.ok(!JSON.stringify(found.body).includes(theirs));
      const inDefault = await identify(server, 'person-a-1.jpg').expect(200);
      assert.ok(JSON.stringify(inDefault.body).includes(theirs));
    });
  });

  describe('a person and an Idempotency-Key per collection', () => {
    it('should keep the same subject in two collections as two people', async () => {
      await make('twin-a').expect(201);
      await make('twin-b').expect(201);
      await enrolIn('twin-a', 'person-a-1.jpg', 'sam');
      await enrolIn('twin-b', 'person-b-1.jpg', 'sam');
      await request(server)
        .put('/subjects/sam')
        .set('X-Collection', 'twin-a')
        .send({ metadata: { desk: 'a' } })
        .expect(200);
      const inB = await request(server).get('/subjects/sam').set('X-Collection', 'twin-b');
      assert.deepEqual((inB.body as { metadata: unknown }).metadata, {});
      await request(server)
        .delete('/subjects/sam')
        .set('X-Collection', 'twin-b')
        .expect(200, { success: true, deleted: 1 });
      const inA = await request(server)
        .get('/subjects/sam')
        .set('X-Collection', 'twin-a')
        .expect(200);
      assert.deepEqual((inA.body as { metadata: unknown }).metadata, { desk: 'a' });
    });

    it('should replay an Idempotency-Key only in the collection it was first used in', async () => {
      await make('replays').expect(201);
      const send = (collection: string) =>
        upload(server, 'person-b-1.jpg')
          .set('Idempotency-Key', 'same-key-both-places')
          .set('X-Collection', collection);
      const first = await send('default').expect(200);
      const elsewhere = await send('replays').expect(200);
      assert.equal(elsewhere.headers['idempotent-replayed'], undefined);
      assert.notEqual((elsewhere.body as { key: string }).key, (first.body as { key: string }).key);
      const again = await send('replays').expect(200);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.deepEqual(again.body, elsewhere.body);
    });
  });
});
