import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { readFileSync } from 'node:fs';
import {
  CALIBRATION_FILE,
  pairRateForFpir,
  thresholdForPairRate,
  type CalibrationTable,
} from '../src/face-engine/calibration.js';
import { enrolGallery, GALLERY as PEOPLE, identify, upload } from './support/calls.js';
import { fixture, startApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

interface Match {
  key: string;
  filename: string;
  subject: string | null;
  distance: number;
  verified: boolean;
  far: number;
  fpir: number;
}
interface IdentifyBody {
  faces: { facial_area: { x: number; y: number; w: number; h: number }; matches: Match[] }[];
  threshold: number;
  target_fpir: number | null;
  model: string;
  references_searched: number;
  time: number;
}

const calibration = JSON.parse(readFileSync(CALIBRATION_FILE, 'utf8')) as CalibrationTable;
/** The threshold at which a search of `size` references gives a stranger `fpir`, read off the table. */
const searchThreshold = (fpir: number, size: number) =>
  Math.floor(thresholdForPairRate(calibration.far, pairRateForFpir(fpir, size)) * 1e5) / 1e5;

/** People in no photo of the gallery below. */
const STRANGERS = [
  'orl-s1-1.png',
  'orl-s2-1.png',
  'person-c-1.jpg',
  'person-d-1.jpg',
  'person-e-1.jpg',
];

/** `group-6-faces.jpg` (bbt4), as its provenance describes it: each row left to right. */
const TOP_ROW = ['amy', 'raj', 'bernadette'];
const BOTTOM_ROW = ['leonard', 'penny', 'sheldon'];

describe('identification on MariaDB', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let server: App;
  let keys: Map<string, string>;

  before(async () => {
    database = await createTestDatabase();
    app = await startApp({ DATABASE_URL: database.url });
    server = app.getHttpServer() as App;
    keys = await enrolGallery(server);
  });

  after(async () => {
    await app?.close();
    await database?.drop();
  });

  describe('POST /identify', () => {
    it('should name each of the 6 people in the group photo, and match nobody else', async () => {
      const body: unknown = (await identify(server, 'group-6-faces.jpg').expect(200)).body;
      const result = body as IdentifyBody;
      assert.equal(result.faces.length, 6);
      assert.equal(result.references_searched, PEOPLE.length + 2);
      const named = result.faces.map((face) => {
        const verified = face.matches.filter((match) => match.verified);
        assert.equal(verified.length, 1, `one verified match per face: ${JSON.stringify(face)}`);
        assert.equal(face.matches[0].key, verified[0].key, 'the best match first');
        assert.equal(verified[0].key, keys.get(verified[0].subject!));
        return { subject: verified[0].subject, box: face.facial_area };
      });
      // Faces come left to right; the three highest form the top row.
      const xs = named.map(({ box }) => box.x);
      assert.deepEqual(
        xs,
        [...xs].sort((a, b) => a - b),
      );
      const centreY = ({ box }: (typeof named)[number]) => box.y + box.h / 2;
      const top = [...named].sort((a, b) => centreY(a) - centreY(b)).slice(0, 3);
      const row = (faces: typeof named) => faces.map(({ subject }) => subject);
      assert.deepEqual(row(named.filter((face) => top.includes(face))), TOP_ROW);
      assert.deepEqual(row(named.filter((face) => !top.includes(face))), BOTTOM_ROW);
      for (const face of result.faces) {
        assert.equal(face.matches.length, 5);
        const distances = face.matches.map((match) => match.distance);
        assert.deepEqual(
          distances,
          [...distances].sort((a, b) => a - b),
        );
        assert.ok(face.facial_area.w > 20 && face.facial_area.h > 20);
      }
      assert.equal(result.threshold, searchThreshold(0.01, PEOPLE.length + 2));
    });

    it('should choose the threshold for a 1% chance that a stranger matches this gallery, and say so', async () => {
      const result = (await identify(server, 'crop-howard-1.png').expect(200)).body as IdentifyBody;
      assert.equal(result.target_fpir, 0.01);
      assert.equal(result.references_searched, 10);
      assert.equal(result.threshold, searchThreshold(0.01, 10));
      assert.ok(result.threshold < 0.079, 'stricter than a pair of photos: ten chances to match');
      for (const match of result.faces[0].matches) {
        // Ten chances of a false match at the pair's rate, nearly ten times the rate.
        assert.ok(match.fpir > match.far && match.fpir <= 10 * match.far, JSON.stringify(match));
      }
      const high = (await identify(server, 'crop-howard-1.png', { security: 'high' }).expect(200))
        .body as IdentifyBody;
      assert.equal(high.target_fpir, 0.001);
      assert.equal(high.threshold, searchThreshold(0.001, 10));
      const given = (await identify(server, 'crop-howard-1.png', { threshold: '0.06' }).expect(200))
        .body as IdentifyBody;
      assert.equal(given.target_fpir, null);
      assert.equal(given.threshold, 0.06);
    });

    it('should match nobody for people who are not enrolled', async () => {
      for (const stranger of STRANGERS) {
        const result = (await identify(server, stranger).expect(200)).body as IdentifyBody;
        for (const face of result.faces) {
          assert.deepEqual(
            face.matches.filter((match) => match.verified),
            [],
            `${stranger}: ${JSON.stringify(face.matches[0])}`,
          );
        }
      }
    });

    it('should give the distance compare gives for the same photo and reference', async () => {
      const identified = (await identify(server, 'crop-penny-1.png', { limit: '1' }).expect(200))
        .body as IdentifyBody;
      const [best] = identified.faces[0].matches;
      assert.equal(best.subject, 'penny');
      const compared = await request(server)
        .post('/compare_with_reference')
        .attach('image', fixture('crop-penny-1.png'), 'crop-penny-1.png')
        .field('reference_key', best.key)
        .expect(200);
      const { distance } = (compared.body as { result: { distance: number } }).result;
      assert.ok(Math.abs(best.distance - distance) < 1e-5, `${best.distance} vs ${distance}`);
    });

    it('should honour limit and threshold', async () => {
      const body: unknown = (
        await identify(server, 'crop-penny-2.png', {
          limit: '2',
          threshold: '0',
        }).expect(200)
      ).body;
      const [face] = (body as IdentifyBody).faces;
      assert.equal(face.matches.length, 2);
      assert.ok(face.matches.every((match) => !match.verified));
      assert.equal((body as IdentifyBody).threshold, 0);
    });
  });

  describe('a second replica on the same database', () => {
    let replica: INestApplication;
    let replicaServer: App;

    before(async () => {
      replica = await startApp({
        DATABASE_URL: database.url,
        FACE_WORKERS: '1',
        INDEX_REFRESH_MS: '200',
      });
      replicaServer = replica.getHttpServer() as App;
    });
    after(async () => {
      await replica?.close();
    });

    /** Polls the replica's /identify until `check` holds, for at most 10 s. */
    async function eventually(check: (result: IdentifyBody) => boolean): Promise<IdentifyBody> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const result = (await identify(replicaServer, 'person-b-2.jpg', { limit: '1' }).expect(200))
          .body as IdentifyBody;
        if (check(result)) return result;
        if (Date.now() > deadline)
          assert.fail(`replica never caught up: ${JSON.stringify(result)}`);
        await sleep(250);
      }
    }

    it("should see the other replica's upload and delete within INDEX_REFRESH_MS", async () => {
      const before = await eventually(() => true);
      const stored = before.references_searched;
      const body: unknown = (
        await upload(server, 'person-b-2.jpg', { subject: 'person b' }).expect(200)
      ).body;
      const { key } = body as { key: string };
      const seen = await eventually(
        (result) => result.faces[0].matches[0]?.key === key && result.references_searched > stored,
      );
      assert.equal(seen.faces[0].matches[0].subject, 'person b');
      assert.ok(seen.faces[0].matches[0].distance < 1e-4);

      await request(server).delete(`/delete_reference/${key}`).expect(200);
      const gone = await eventually((result) => result.references_searched === stored);
      assert.notEqual(gone.faces[0].matches[0]?.key, key);
    });
  });
});
