import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import {
  CALIBRATION_FILE,
  cohortScoreThreshold,
  type CalibrationTable,
} from '../src/face-engine/calibration.js';
import { fixture, startApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

interface PersonMatch {
  subject: string | null;
  key?: string;
  distance: number;
  threshold: number;
  verified: boolean;
  far: number;
  fpir: number;
  references_used: number;
  metadata: object;
}
interface IdentifyBody {
  faces: { matches?: { key: string; subject: string | null }[]; subjects?: PersonMatch[] }[];
  threshold: number;
  target_fpir: number | null;
  references_searched: number;
  people_searched?: number;
}

describe('identify by person (group_by=subject) on MariaDB', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let server: App;
  let unnamed: string;

  const upload = async (name: string, subject?: string) => {
    const call = request(server).post('/upload_reference').attach('image', fixture(name), name);
    if (subject !== undefined) void call.field('subject', subject);
    return ((await call.expect(200)).body as { key: string }).key;
  };
  const identify = async (name: string, fields: Record<string, string> = {}) => {
    let call = request(server).post('/identify').attach('image', fixture(name), name);
    for (const [field, value] of Object.entries(fields)) call = call.field(field, value);
    return (await call.expect(200)).body as IdentifyBody;
  };
  const people = async (name: string, fields: Record<string, string> = {}) =>
    (await identify(name, { group_by: 'subject', ...fields })).faces[0].subjects!;

  before(async () => {
    database = await createTestDatabase();
    app = await startApp({ DATABASE_URL: database.url });
    server = app.getHttpServer() as App;
    for (const name of ['orl-s1-1.png', 'orl-s1-2.png', 'orl-s1-3.png']) await upload(name, 's1');
    await upload('person-a-1.jpg', 'a');
    await upload('person-a-2.jpg', 'a');
    await upload('crop-amy-1.png', 'amy');
    await upload('crop-penny-1.png', 'penny');
    unnamed = await upload('person-b-1.jpg');
  });

  after(async () => {
    await app?.close();
    await database?.drop();
  });

  it('should find a person once, all their references combined, and no photo list', async () => {
    const body = await identify('orl-s1-4.png', { group_by: 'subject' });
    assert.equal(body.references_searched, 8);
    assert.equal(body.people_searched, 5);
    const [face] = body.faces;
    assert.equal(face.matches, undefined);
    const [first, ...rest] = face.subjects!;
    assert.equal(first.subject, 's1');
    assert.equal(first.references_used, 3);
    assert.equal(first.verified, true);
    assert.deepEqual(first.metadata, {});
    assert.ok(first.far > 0 && first.fpir >= first.far);
    for (const other of rest) assert.equal(other.verified, false, JSON.stringify(other));
    const named = face.subjects!.map((person) => person.subject ?? person.key);
    assert.equal(new Set(named).size, named.length);
    // Ranked by the combined distance.
    const distances = face.subjects!.map((person) => person.distance);
    assert.deepEqual(
      distances,
      [...distances].sort((x, y) => x - y),
    );
  });

  it("should name the cohort rule's operating point: the score threshold for this many people", async () => {
    const { search } = JSON.parse(readFileSync(CALIBRATION_FILE, 'utf8')) as CalibrationTable;
    const body = await identify('orl-s1-4.png', { group_by: 'subject' });
    assert.equal(body.target_fpir, 0.01);
    assert.equal(body.threshold, Math.floor(cohortScoreThreshold(search!, 0.01, 5) * 1e5) / 1e5);
    const high = await identify('orl-s1-4.png', { group_by: 'subject', security: 'high' });
    assert.equal(high.target_fpir, 0.001);
    assert.ok(high.threshold < body.threshold);
    for (const person of body.faces[0].subjects!) {
      assert.equal(person.verified, person.distance <= person.threshold, JSON.stringify(person));
      assert.ok(person.fpir > 0 && person.fpir <= 1);
    }
  });

  it('should give each person found the metadata stored on them', async () => {
    await request(server)
      .put('/subjects/a')
      .send({ metadata: { badge: 41, staff: true } })
      .expect(200);
    const found = await people('person-a-1.jpg', { limit: '5' });
    const a = found.find((person) => person.subject === 'a');
    assert.deepEqual(a?.metadata, { badge: 41, staff: true });
    assert.deepEqual(found.find((person) => person.subject === 'amy')?.metadata, {});
  });

  it('should answer a reference without a subject as a person of its own, by its key', async () => {
    const [first] = await people('person-b-2.jpg');
    assert.equal(first.subject, null);
    assert.equal(first.key, unnamed);
    assert.equal(first.references_used, 1);
    assert.equal(first.verified, true);
  });

  it('should count people in limit, not photos', async () => {
    const found = await people('orl-s1-4.png', { limit: '2' });
    assert.equal(found.length, 2);
    assert.equal(found[0].subject, 's1');
    assert.notEqual(found[1].subject, 's1');
  });

  it('should return every person within their threshold beyond the limit', async () => {
    // A generous threshold of the client's own: everyone is within it, whatever the limit.
    const found = await people('orl-s1-4.png', { limit: '1', threshold: '2' });
    assert.equal(found.length, 5);
    for (const person of found) {
      assert.equal(person.threshold, 2);
      assert.equal(person.verified, true);
    }
  });

  it('should match nobody for a stranger at the default', async () => {
    for (const name of ['person-c-1.jpg', 'orl-s2-1.png']) {
      const found = await people(name);
      assert.ok(found.length >= 1);
      for (const person of found)
        assert.equal(person.verified, false, `${name}: ${person.subject}`);
    }
  });

  it('should leave the answer without group_by as it was: references, not people', async () => {
    const body = await identify('orl-s1-4.png');
    const [face] = body.faces;
    assert.equal(face.subjects, undefined);
    assert.equal(body.people_searched, undefined);
    assert.deepEqual(
      face.matches!.slice(0, 3).map((match) => match.subject),
      ['s1', 's1', 's1'],
    );
  });

  it('should refuse a group_by it does not know', async () => {
    await request(server)
      .post('/identify')
      .attach('image', fixture('orl-s1-4.png'), 'x.png')
      .field('group_by', 'person')
      .expect(400);
  });
});
