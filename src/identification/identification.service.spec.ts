import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  EngineBusyError,
  InvalidOperatingPointError,
  NoFaceDetectedError,
  OperationFailedError,
} from '../common/errors.js';
import type { UploadedImage } from '../common/photo-form.js';
import { appConfigFrom } from '../config/app-config.js';
import { validateEnvironment } from '../config/environment.js';
import {
  Calibration,
  CALIBRATION_FILE,
  cohortFalsePositiveRate,
  cohortScoreThreshold,
  type CalibrationTable,
} from '../face-engine/calibration.js';
import { cohortDistanceThreshold, cohortMean, cohortScore } from '../face-engine/cohort-rule.js';
import { FakeFaceAnalyser, fakeFace } from '../../test/support/fake-face-analyser.js';
import { MODEL, SharedStore, unit } from '../../test/support/memory-change-feed.js';
import { MemorySubjectStore } from '../../test/support/memory-subject-store.js';
import { SubjectsService } from '../subjects/subjects.service.js';
import { IdentificationService } from './identification.service.js';
import { ReferenceIndex } from './reference-index.js';

const photo: UploadedImage = {
  filename: 'p.jpg',
  contentType: 'image/jpeg',
  bytes: Buffer.from('x'),
};
const box = (x: number) => ({ x, y: 10, width: 30, height: 30 });

describe('IdentificationService', () => {
  let engine: FakeFaceAnalyser;
  let store: SharedStore;
  let index: ReferenceIndex;
  let service: IdentificationService;
  let people: MemorySubjectStore;

  beforeEach(async () => {
    // MODEL is not the shipped table's: no security levels, and the fixed threshold.
    engine = Object.assign(new FakeFaceAnalyser(), { model: MODEL });
    const config = appConfigFrom(
      validateEnvironment({ FACE_MATCH_THRESHOLD: '0.3', MAX_FACES_PER_IDENTIFY: '2' }),
    );
    store = new SharedStore();
    for (const id of [1, 2, 3]) store.insertByOtherReplica(id);
    index = new ReferenceIndex(store, engine, config);
    await index.onApplicationBootstrap();
    people = new MemorySubjectStore();
    const subjects = new SubjectsService(people);
    service = new IdentificationService(
      engine,
      index,
      new Calibration(engine, config),
      config,
      subjects,
    );
  });

  it('should give each person found by group_by=subject the metadata stored on them, read once', async () => {
    people.kept.set('person1', { badge: 17, staff: true });
    engine.faces = [fakeFace(unit(1), { box: box(20) }), fakeFace(unit(2), { box: box(200) })];
    const result = await service.identify('default', photo, { limit: 2, groupBy: 'subject' });
    const found = result.faces.map(({ subjects }) =>
      subjects!.map(({ subject, metadata }) => ({ subject, metadata })),
    );
    assert.deepEqual(found[0][0], { subject: 'person1', metadata: { badge: 17, staff: true } });
    assert.deepEqual(found[1][0], { subject: 'person2', metadata: {} });
    assert.equal(people.metadataReads, 1);
  });

  it("should search only the request's collection, sized by its own references", async () => {
    store.insertByOtherReplica(4, MODEL, undefined, 'shop');
    await index.refresh();
    engine.faces = [fakeFace(unit(4), { box: box(20) })];
    const inShop = await service.identify('shop', photo, { limit: 5 });
    assert.equal(inShop.referencesSearched, 1);
    assert.deepEqual(
      inShop.faces[0].matches!.map(({ key, verified }) => ({ key, verified })),
      [{ key: 'key4', verified: true }],
    );
    const inDefault = await service.identify('default', photo, { limit: 5 });
    assert.equal(inDefault.referencesSearched, 3);
    assert.ok(inDefault.faces[0].matches!.every(({ key }) => key !== 'key4'));
    const inDoor = await service.identify('door', photo, { limit: 5, groupBy: 'subject' });
    assert.deepEqual(inDoor.faces[0].subjects, []);
    assert.equal(inDoor.peopleSearched, 0);
  });

  it('should not read metadata for a search by reference', async () => {
    engine.faces = [fakeFace(unit(1), { box: box(20) })];
    await service.identify('default', photo, { limit: 2 });
    assert.equal(people.metadataReads, 0);
  });
  afterEach(() => index.onApplicationShutdown());

  it('should answer each face left to right with its nearest references, verified within the threshold', async () => {
    engine.faces = [fakeFace(unit(2), { box: box(200) }), fakeFace(unit(1), { box: box(20) })];
    const result = await service.identify('default', photo, { limit: 2 });
    assert.deepEqual(
      result.faces.map((face) => face.box.x),
      [20, 200],
    );
    const [left] = result.faces;
    assert.deepEqual(
      left.matches!.map(({ key, distance, verified }) => ({ key, distance, verified })),
      [
        { key: 'key1', distance: 0, verified: true },
        { key: 'key2', distance: 1, verified: false },
      ],
    );
    assert.equal(result.threshold, 0.3);
    assert.equal(result.targetFpir, null);
    assert.equal(result.model, MODEL);
    assert.equal(result.referencesSearched, 3);
    assert.equal(result.facesSkipped, 0);
  });

  it('should take a threshold from the caller, and count the faces over MAX_FACES_PER_IDENTIFY as skipped', async () => {
    engine.faces = [box(0), box(100), box(200)].map((at, n) => fakeFace(unit(n + 1), { box: at }));
    const result = await service.identify('default', photo, { limit: 1, threshold: 1.5 });
    assert.equal(result.faces.length, 2);
    assert.equal(result.facesSkipped, 1);
    assert.equal(result.threshold, 1.5);
    assert.ok(result.faces.every((face) => face.matches![0].verified));
  });

  it('should answer NoFaceDetectedError for a photo without a face', async () => {
    engine.facesIn = 0;
    await assert.rejects(service.identify('default', photo, { limit: 3 }), NoFaceDetectedError);
  });

  it('should refuse a security level for an uncalibrated model before analysing the photo', async () => {
    await assert.rejects(
      service.identify('default', photo, { limit: 3, security: 'high' }),
      InvalidOperatingPointError,
    );
    assert.equal(engine.calls, 0);
  });

  it("should pass the engine's domain errors on, and make anything else an operation failure", async () => {
    engine.failWith = new EngineBusyError();
    await assert.rejects(service.identify('default', photo, { limit: 3 }), EngineBusyError);
    engine.failWith = new TypeError('a bug');
    await assert.rejects(
      service.identify('default', photo, { limit: 3 }),
      (error: OperationFailedError) => {
        assert.ok(error instanceof OperationFailedError);
        assert.match(error.message, /^Error processing image/);
        return true;
      },
    );
  });
});

describe('IdentificationService by person under the cohort rule (the shipped calibration)', () => {
  const shipped = JSON.parse(readFileSync(CALIBRATION_FILE, 'utf8')) as CalibrationTable;
  const search = shipped.search!;
  /** A unit embedding at cosine distance `distance` from the probe (axis 0), off along `axis`. */
  const at = (distance: number, axis: number) => {
    const embedding = new Float32Array(128);
    embedding[0] = 1 - distance;
    embedding[axis] = Math.sqrt(1 - (1 - distance) ** 2);
    return embedding;
  };

  /** The nearest person found by a search of people at `distances` from the probe. */
  async function nearest(distances: number[], point: { threshold?: number } = {}) {
    const engine = Object.assign(new FakeFaceAnalyser(), { model: shipped.model });
    const config = appConfigFrom(validateEnvironment({}));
    const store = new SharedStore();
    distances.forEach((distance, index) => {
      store.insertByOtherReplica(index + 1, shipped.model);
      store.references.get(index + 1)!.embedding = at(distance, index + 1);
    });
    const index = new ReferenceIndex(store, engine, config);
    await index.onApplicationBootstrap();
    try {
      const calibration = new Calibration(engine, config);
      const service = new IdentificationService(
        engine,
        index,
        calibration,
        config,
        new SubjectsService(new MemorySubjectStore()),
      );
      engine.faces = [fakeFace(at(0, 127), { box: box(20) })];
      const result = await service.identify('default', photo, {
        limit: 1,
        groupBy: 'subject',
        ...point,
      });
      return { result, person: result.faces[0].subjects![0], calibration };
    } finally {
      index.onApplicationShutdown();
    }
  }

  it('should hold a face near many people to a closer distance than a distinctive face', async () => {
    const crowded = await nearest([0.04, 0.05, 0.05, 0.05, 0.06, 0.06]);
    const distinctive = await nearest([0.04, 0.3, 0.3, 0.3, 0.3, 0.3]);
    assert.equal(crowded.person.subject, 'person1');
    assert.equal(crowded.person.verified, false);
    assert.equal(distinctive.person.verified, true);
    assert.ok(crowded.person.threshold < distinctive.person.threshold);
  });

  it('should name the score threshold and target applied, each person the distance it stands for', async () => {
    const distances = [0.03, 0.05, 0.06, 0.07, 0.08, 0.09];
    const { result, person, calibration } = await nearest(distances);
    const scoreThreshold = Math.floor(cohortScoreThreshold(search, 0.01, 6) * 1e5) / 1e5;
    assert.equal(result.threshold, scoreThreshold);
    assert.equal(result.targetFpir, 0.01);
    const mean = cohortMean(distances, search.cohort);
    const expected = Math.min(
      Math.floor(cohortDistanceThreshold(scoreThreshold, mean, search) * 1e5) / 1e5,
      calibration.personThreshold({}, 1, 0.079),
    );
    assert.ok(Math.abs(person.threshold - expected) < 1e-9, `${person.threshold} ${expected}`);
    assert.equal(person.verified, person.distance <= person.threshold);
    const score = cohortScore(person.distance, mean, search);
    assert.ok(Math.abs(person.fpir! - cohortFalsePositiveRate(search, score, 6)) < 1e-9);
  });

  it("should apply a client's threshold to the distance as it is", async () => {
    const { result, person } = await nearest([0.04, 0.05, 0.05, 0.05, 0.06, 0.06], {
      threshold: 0.045,
    });
    assert.equal(result.threshold, 0.045);
    assert.equal(result.targetFpir, null);
    assert.equal(person.threshold, 0.045);
    assert.equal(person.verified, true);
  });
});
