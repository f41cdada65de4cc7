import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import {
  CALIBRATION_FILE,
  falseAcceptRate,
  personTable,
  thresholdForPairRate,
  type CalibrationTable,
} from '../src/face-engine/calibration.js';
import { fixture, startApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

interface PersonResult {
  verified: boolean;
  distance: number;
  threshold: number;
  far: number;
  model: string;
  detector_backend: string;
  similarity_metric: string;
  facial_areas: { img1: object; img2: object };
  faces_skipped: number;
  time: number;
  references_used: number;
}

const calibration = JSON.parse(readFileSync(CALIBRATION_FILE, 'utf8')) as CalibrationTable;
const person = calibration.person!;
const DEFAULT_THRESHOLD = 0.079;
/**
 * The default of a person with `references`: the pair default's false accept rate, read in the
 * person table, and never looser than the pair default.
 */
const defaultThreshold = (references: number) =>
  Math.min(
    Math.floor(
      thresholdForPairRate(
        personTable(person, references).far,
        falseAcceptRate(calibration, DEFAULT_THRESHOLD),
      ) * 1e5,
    ) / 1e5,
    DEFAULT_THRESHOLD,
  );

/** Enrols ORL's s1 from three photos, A from two and B from one, then checks the verdicts. */
function personVerificationSpecs(server: () => App): void {
  const upload = (name: string, subject: string) =>
    request(server())
      .post('/upload_reference')
      .attach('image', fixture(name), name)
      .field('subject', subject)
      .expect(200);
  const verify = (subject: string, name: string, fields: Record<string, string> = {}) => {
    let call = request(server())
      .post(`/subjects/${encodeURIComponent(subject)}/verify`)
      .attach('image', fixture(name), name);
    for (const [field, value] of Object.entries(fields)) call = call.field(field, value);
    return call;
  };
  const result = (body: unknown) => (body as { result: PersonResult }).result;

  before(async () => {
    for (const name of ['orl-s1-1.png', 'orl-s1-2.png', 'orl-s1-3.png']) await upload(name, 's1');
    await upload('person-a-1.jpg', 'person a');
    await upload('person-a-2.jpg', 'person a');
    await upload('person-b-1.jpg', 'b');
  });

  it("should verify a new photo of a person against all three of their references, at the person table's default", async () => {
    const answer = await verify('s1', 'orl-s1-4.png').expect(200);
    assert.equal((answer.body as { subject: string }).subject, 's1');
    const verdict = result(answer.body);
    assert.deepEqual(Object.keys(verdict).sort(), [
      'detector_backend',
      'distance',
      'faces_skipped',
      'facial_areas',
      'far',
      'model',
      'references_used',
      'similarity_metric',
      'threshold',
      'time',
      'verified',
    ]);
    assert.equal(verdict.verified, true);
    assert.equal(verdict.references_used, 3);
    assert.equal(verdict.threshold, defaultThreshold(3));
    assert.ok(verdict.distance <= verdict.threshold);
    // The rate of a person with three references, not the pair table's at that distance.
    const expected = falseAcceptRate(personTable(person, 3), verdict.distance);
    assert.ok(Math.abs(verdict.far - expected) <= expected * 1e-9, `${verdict.far} ${expected}`);
  });

  it('should refuse a stranger and another enrolled person', async () => {
    for (const name of ['orl-s2-1.png', 'person-c-1.jpg', 'person-b-2.jpg']) {
      const verdict = result((await verify('s1', name).expect(200)).body);
      assert.equal(verdict.verified, false, name);
      assert.ok(verdict.distance > verdict.threshold, name);
    }
  });

  it('should judge the face the photo is about, not a face printed on a shirt', async () => {
    // Person B wearing A's face on his T-shirt: A's references must not match B.
    assert.equal(
      result((await verify('person a', 'person-a-1-grey.jpg').expect(200)).body).verified,
      true,
    );
    const shirt = result((await verify('person a', 'person-b-2-shirt-a.jpg').expect(200)).body);
    assert.equal(shirt.verified, false);
    assert.equal(shirt.references_used, 2);
    assert.equal(shirt.faces_skipped, 1);
  });

  it('should read a person with one reference off the one-reference table', async () => {
    const verdict = result((await verify('b', 'person-b-2.jpg').expect(200)).body);
    assert.equal(verdict.references_used, 1);
    assert.equal(verdict.threshold, defaultThreshold(1));
    assert.equal(verdict.verified, true);
  });

  it("should apply a security level's person threshold, or the client's own threshold", async () => {
    const high = result(
      (await verify('s1', 'orl-s1-4.png', { security: 'high' }).expect(200)).body,
    );
    assert.equal(high.threshold, personTable(person, 3).thresholds.high);
    const own = result(
      (await verify('s1', 'orl-s1-4.png', { threshold: '0.001' }).expect(200)).body,
    );
    assert.equal(own.threshold, 0.001);
    assert.equal(own.verified, false);
  });

  it('should answer 404 with a detail for a subject no reference has', async () => {
    await verify('nobody', 'orl-s1-4.png').expect(404, {
      detail: 'No reference found with subject: nobody',
    });
    await verify('x'.repeat(101), 'orl-s1-4.png').expect(404);
  });

  it('should answer 400 for both threshold and security, a bad threshold or no face, 422 without a photo', async () => {
    await verify('s1', 'orl-s1-4.png', { threshold: '0.05', security: 'high' }).expect(400, {
      detail: 'Give either threshold or security, not both',
    });
    await verify('s1', 'orl-s1-4.png', { threshold: 'abc' }).expect(400);
    await verify('s1', 'no-face.png').expect(400, {
      detail: 'No face detected in the image. Please upload an image with a clear face.',
    });
    await request(server()).post('/subjects/s1/verify').field('threshold', '0.05').expect(422);
  });
}

describe('person verification on MariaDB', () => {
  let database: TestDatabase;
  let app: INestApplication;

  before(async () => {
    database = await createTestDatabase();
    app = await startApp({ DATABASE_URL: database.url });
  });

  after(async () => {
    await app?.close();
    await database?.drop();
  });

  personVerificationSpecs(() => app.getHttpServer() as App);
});

describe('person verification on the embedded SQLite store', () => {
  let app: INestApplication;

  before(async () => {
    app = await startApp();
  });

  after(async () => {
    await app?.close();
  });

  personVerificationSpecs(() => app.getHttpServer() as App);
});
