// The audit trail on the fake engine and SQLite: the entry each route writes, the filters and the
// paging of GET /audit, refused attempts recorded, and no secret in any entry (issue 23, item 3).
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { DataSource, Like } from 'typeorm';
import { AuditEntryEntity } from '../../src/audit/audit-entry.entity.js';
import { AuditRetention } from '../../src/audit/audit-retention.js';
import { fixture } from '../support/app.js';
import { startContractApp } from '../support/contract-app.js';

interface Entry {
  id: number;
  time: string;
  key: { id: string; name: string } | null;
  collection: string;
  action: string;
  reference_keys: string[];
  subjects: string[];
  outcome: number;
  request_id: string;
  client_address: string;
}

interface Page {
  entries: Entry[];
  next_cursor: string | null;
}

const digest = (value: string) => `sha256:${createHash('sha256').update(value).digest('hex')}`;

/** A request id of our own, so that each test finds its request's entry. */
const newId = () => `audit-${randomUUID()}`;

async function trail(server: App, query: Record<string, string> = {}, key?: string) {
  const call = request(server).get('/audit').query(query);
  if (key) call.set('X-API-Key', key);
  return (await call.expect(200)).body as Page;
}

/** The one entry of the request `requestId`. */
async function entryOf(server: App, requestId: string, key?: string): Promise<Entry> {
  const found = (await trail(server, { limit: '1000' }, key)).entries.filter(
    (entry) => entry.request_id === requestId,
  );
  assert.equal(found.length, 1, `one entry for ${requestId}: ${JSON.stringify(found)}`);
  return found[0];
}

describe('the audit trail, without API_KEYS', () => {
  let app: INestApplication;
  let server: App;

  before(async () => {
    app = (await startContractApp()).app;
    server = app.getHttpServer() as App;
  });

  after(async () => {
    await app?.close();
  });

  const enrol = async (photo: string, subject: string) => {
    const id = newId();
    const response = await request(server)
      .post('/upload_reference')
      .set('X-Request-Id', id)
      .attach('image', fixture(photo), photo)
      .field('subject', subject)
      .expect(200);
    return { id, key: (response.body as { key: string }).key };
  };

  it('should record an enrolment with its key, subject, outcome, request id and address', async () => {
    const { id, key } = await enrol('person-a-1.jpg', 'ann');
    const entry = await entryOf(server, id);
    assert.equal(entry.action, 'enrol');
    assert.equal(entry.outcome, 200);
    assert.equal(entry.collection, 'default');
    assert.equal(entry.key, null);
    assert.deepEqual(entry.reference_keys, [key]);
    assert.deepEqual(entry.subjects, ['ann']);
    assert.match(entry.client_address, /127\.0\.0\.1|::1/);
    assert.ok(Math.abs(Date.parse(entry.time) - Date.now()) < 60_000, entry.time);
  });

  it('should record every read and match of a face, with what it touched', async () => {
    const { key } = await enrol('person-b-1.jpg', 'bob');
    const cases: [string, () => request.Test, Partial<Entry>][] = [
      [
        'compare',
        () =>
          request(server)
            .post('/compare_with_reference')
            .attach('image', fixture('person-b-2.jpg'), 'b.jpg')
            .field('reference_key', key),
        { reference_keys: [key], subjects: [] },
      ],
      [
        'verify',
        () =>
          request(server)
            .post('/verify')
            .attach('image1', fixture('person-b-1.jpg'), 'b1.jpg')
            .attach('image2', fixture('person-b-2.jpg'), 'b2.jpg'),
        { reference_keys: [], subjects: [] },
      ],
      [
        'person-verify',
        () =>
          request(server)
            .post('/subjects/bob/verify')
            .attach('image', fixture('person-b-2.jpg'), 'b.jpg'),
        { subjects: ['bob'] },
      ],
      [
        'identify',
        () =>
          request(server)
            .post('/identify')
            .attach('image', fixture('person-b-1.jpg'), 'b.jpg')
            .field('limit', '1'),
        { reference_keys: [key], subjects: ['bob'] },
      ],
      [
        'photo-download',
        () => request(server).get(`/references/${key}/image`),
        { reference_keys: [key] },
      ],
      [
        'face-download',
        () => request(server).get(`/references/${key}/face?size=48`),
        { reference_keys: [key] },
      ],
      [
        'reference-read',
        () => request(server).get(`/references/${key}`),
        { reference_keys: [key], subjects: ['bob'] },
      ],
      [
        'person-read',
        () => request(server).get('/subjects/bob'),
        { reference_keys: [key], subjects: ['bob'] },
      ],
      [
        'person-metadata-write',
        () =>
          request(server)
            .put('/subjects/bob')
            .send({ metadata: { badge: 7 } }),
        { subjects: ['bob'] },
      ],
    ];
    for (const [action, call, expected] of cases) {
      const id = newId();
      await call().set('X-Request-Id', id).expect(200);
      const entry = await entryOf(server, id);
      assert.deepEqual(
        { ...entry, ...expected, action, outcome: 200 },
        entry,
        `${action}: ${JSON.stringify(entry)}`,
      );
    }
  });

  it('should record a deletion, and a 404 of a reference or a person', async () => {
    const { key } = await enrol('person-c-1.jpg', 'cy');
    const deleting = newId();
    await request(server)
      .delete(`/delete_reference/${key}`)
      .set('X-Request-Id', deleting)
      .expect(200);
    const deleted = await entryOf(server, deleting);
    assert.deepEqual(
      [deleted.action, deleted.outcome, deleted.reference_keys, deleted.subjects],
      ['reference-delete', 200, [key], ['cy']],
    );
    const missing = newId();
    await request(server).get(`/references/${key}/image`).set('X-Request-Id', missing).expect(404);
    const refused = await entryOf(server, missing);
    assert.deepEqual(
      [refused.action, refused.outcome, refused.reference_keys],
      ['photo-download', 404, [key]],
    );
    const nobody = newId();
    await request(server).get('/subjects/nobody').set('X-Request-Id', nobody).expect(404);
    const unknown = await entryOf(server, nobody);
    assert.deepEqual(
      [unknown.action, unknown.outcome, unknown.subjects],
      ['person-read', 404, ['nobody']],
    );
  });

  it('should keep the erasure on record but leave the erased person only as digests', async () => {
    const first = await enrol('person-d-1.jpg', 'dee');
    const second = await enrol('person-e-1.jpg', 'dee');
    await request(server).get('/subjects/dee').expect(200);
    const erasing = newId();
    await request(server)
      .delete('/subjects/dee')
      .set('X-Request-Id', erasing)
      .expect(200, { success: true, deleted: 2 });

    const everything = JSON.stringify(await trail(server, { limit: '1000' }));
    for (const name of ['"dee"', first.key, second.key]) {
      assert.ok(!everything.includes(name), `${name} left in the trail`);
    }
    const erasure = await entryOf(server, erasing);
    assert.deepEqual(
      [erasure.action, erasure.outcome, erasure.subjects, [...erasure.reference_keys].sort()],
      ['person-erase', 200, [digest('dee')], [digest(first.key), digest(second.key)].sort()],
    );
    // Whoever knows the name finds what was done to the person, the erasure included.
    const about = await trail(server, { subject: digest('dee') });
    assert.deepEqual(
      about.entries.map((entry) => entry.action),
      ['person-erase', 'person-read', 'enrol', 'enrol'],
    );
    const enrolment = await entryOf(server, first.id);
    assert.deepEqual(enrolment.reference_keys, [digest(first.key)]);
  });

  it('should filter by action, subject, key and time, and page newest first with a cursor', async () => {
    const { key } = await enrol('person-f-1.jpg', 'fay%_');
    for (let i = 0; i < 3; i++) await request(server).get('/subjects/fay%25_').expect(200);
    const reads = await trail(server, { subject: 'fay%_', action: 'person-read' });
    assert.equal(reads.entries.length, 3);
    assert.ok(reads.entries.every((entry) => entry.subjects[0] === 'fay%_'));
    // Exact members: not a prefix, not another case (SQLite's LIKE would ignore it).
    assert.deepEqual((await trail(server, { subject: 'fay%' })).entries, []);
    assert.deepEqual((await trail(server, { subject: 'FAY%_' })).entries, []);
    const byKey = await trail(server, { key });
    assert.deepEqual(
      byKey.entries.map((entry) => entry.action),
      ['person-read', 'person-read', 'person-read', 'enrol'],
    );

    const pages: Entry[][] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string> = { subject: 'fay%_', limit: '2' };
      if (cursor) query.cursor = cursor;
      const page = await trail(server, query);
      pages.push(page.entries);
      cursor = page.next_cursor;
    } while (cursor !== null);
    assert.deepEqual(
      pages.map((page) => page.length),
      [2, 2],
    );
    const ids = pages.flat().map((entry) => entry.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
      'newest first, no repeats',
    );
    assert.equal(new Set(ids).size, 4);

    const newest = pages[0][0];
    const future = new Date(Date.parse(newest.time) + 1000).toISOString();
    assert.equal((await trail(server, { subject: 'fay%_', since: future })).entries.length, 0);
    assert.equal((await trail(server, { subject: 'fay%_', until: future })).entries.length, 4);
    assert.equal((await trail(server, { subject: 'fay%_', until: newest.time })).entries.length, 3);
  });

  it('should prune the entries past AUDIT_RETENTION_DAYS (365) and keep the rest', async () => {
    const entries = app.get(DataSource).getRepository(AuditEntryEntity);
    const old = (days: number) => ({
      occurredAt: new Date(Date.now() - days * 86_400_000),
      keyId: null,
      keyName: null,
      collection: 'default',
      action: 'identify',
      referenceKeys: '[]',
      subjects: JSON.stringify([`old-${days}`]),
      outcome: 200,
      requestId: `old-${days}`,
      clientAddress: '127.0.0.1',
    });
    await entries.insert([old(400), old(366), old(364)]);
    assert.equal(await app.get(AuditRetention).prune(), 2);
    const left = await entries.find({ where: { requestId: Like('old-%') } });
    assert.deepEqual(
      left.map((entry) => entry.requestId),
      ['old-364'],
    );
  });

  it('should answer 400 for a malformed filter', async () => {
    for (const query of [
      { since: 'yesterday' },
      { action: 'lunch' },
      { limit: '0' },
      { limit: '1001' },
      { cursor: 'abc' },
    ]) {
      const response = await request(server).get('/audit').query(query).expect(400);
      assert.equal(typeof (response.body as { detail: unknown }).detail, 'string');
    }
  });
});

describe('the audit trail, with API_KEYS', () => {
  const KEYS = ['audit-key-one-0123456789', 'audit-key-two-9876543210'];
  let app: INestApplication;
  let server: App;

  before(async () => {
    app = (await startContractApp({ API_KEYS: KEYS.join(',') })).app;
    server = app.getHttpServer() as App;
  });

  after(async () => {
    await app?.close();
  });

  it('should name the key by id and place, record 401s, and hold no secret', async () => {
    const enrolling = newId();
    await request(server)
      .post('/upload_reference')
      .set('X-API-Key', KEYS[1])
      .set('X-Request-Id', enrolling)
      .attach('image', fixture('person-a-1.jpg'), 'a.jpg')
      .field('subject', 'gil')
      .expect(200);
    const refusedRead = newId();
    await request(server)
      .get('/subjects/gil')
      .set('X-API-Key', 'not-a-key-of-this-service')
      .set('X-Request-Id', refusedRead)
      .expect(401);
    const refusedList = newId();
    await request(server).get('/list_references').set('X-Request-Id', refusedList).expect(401);
    await request(server).get('/audit').expect(401);

    const entry = await entryOf(server, enrolling, KEYS[0]);
    assert.deepEqual(entry.key, {
      id: createHash('sha256').update(KEYS[1]).digest('hex').slice(0, 12),
      name: 'api-keys[1]',
    });
    const refused = await entryOf(server, refusedRead, KEYS[0]);
    assert.deepEqual(
      [refused.action, refused.outcome, refused.key, refused.subjects],
      ['person-read', 401, null, ['gil']],
    );
    const other = await entryOf(server, refusedList, KEYS[0]);
    assert.deepEqual([other.action, other.outcome], ['other', 401]);

    const everything = JSON.stringify(await trail(server, { limit: '1000' }, KEYS[0]));
    for (const secret of [...KEYS, 'not-a-key-of-this-service']) {
      assert.ok(!everything.includes(secret), 'a key in the trail');
    }
  });
});
