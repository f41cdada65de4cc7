import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  ClientDisconnectedError,
  DatabaseUnavailableError,
  InvalidReferenceKeyError,
  ModelMismatchError,
  MultipleFacesError,
  NoFaceDetectedError,
  OperationFailedError,
  ReferenceNotFoundError,
  SubjectNotFoundError,
} from '../common/errors.js';
import type { UploadedImage } from '../common/photo-form.js';
import { appConfigFrom } from '../config/app-config.js';
import { validateEnvironment } from '../config/environment.js';
import type { OperatingPoint } from '../common/operating-point.js';
import type { Calibration } from '../face-engine/calibration.js';
import type { DetectedFace } from '../face-engine/face-engine.types.js';
import { FakeFaceAnalyser } from '../../test/support/fake-face-analyser.js';
import { MemoryStore } from '../../test/support/memory-reference-store.js';
import { ReferencesService } from './references.service.js';

const MODEL = 'test-model@1';

function face(direction: number[], score = 0.9, x = 0, side = 50, y = 0): DetectedFace {
  return {
    box: { x, y, width: side, height: side },
    score,
    quality: { interOcular: 40, sharpness: 300, contrast: 40, yaw: 0, roll: 0 },
    embedding: Float32Array.from(direction),
  };
}

/** The fake engine never decodes it. */
const JPEG_START = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);

const image = (filename: string): UploadedImage => ({
  filename,
  contentType: 'image/jpeg',
  bytes: JPEG_START,
});

describe('ReferencesService', () => {
  let engine: FakeFaceAnalyser;
  let store: MemoryStore;
  let service: ReferencesService;

  beforeEach(() => {
    engine = Object.assign(new FakeFaceAnalyser(), {
      model: MODEL,
      faces: [],
      photo: { width: 100, height: 100 },
    });
    store = new MemoryStore();
    const config = appConfigFrom(validateEnvironment({ FACE_MATCH_THRESHOLD: '0.1' }));
    // The operating point's own logic is Calibration's (calibration.spec.ts).
    const calibration = {
      check: () => undefined,
      threshold: (point: OperatingPoint, fallback: number) => point.threshold ?? fallback,
      falseAcceptRate: () => undefined,
      // A person's default: stricter with each reference, as a person table makes it.
      personThreshold: (point: OperatingPoint, references: number, fallback: number) =>
        point.threshold ?? fallback / references,
      personFalseAcceptRate: (_: number, references: number) => references / 1000,
      person: () => ({ rule: 'closest' }),
    };
    service = new ReferencesService(engine, store, calibration as unknown as Calibration, config);
  });

  it('should refuse to enrol a photo with several faces, naming how many', async () => {
    engine.faces = [face([1, 0], 0.6), face([0, 1], 0.95, 7)];
    await assert.rejects(
      service.upload('default', image('us.png')),
      (error: MultipleFacesError) => {
        assert.equal(
          error.message,
          'Multiple faces detected in the image (2). Please upload an image with a single face.',
        );
        return true;
      },
    );
    assert.equal(store.rows.length, 0);
  });

  it('should enrol the face a photo is about, unless the policy is reject', async () => {
    // A large central face and a small one at the edge, as in a news photo.
    engine.faces = [face([1, 0], 0.99, 85, 15), face([0, 1], 0.9, 25, 50, 25)];
    const enrolment = await service.upload('default', image('news.jpg'));
    assert.deepEqual(enrolment.box, { x: 25, y: 25, width: 50, height: 50 });
    assert.equal(enrolment.facesDetected, 2);
    assert.deepEqual(Array.from(store.rows[0].embedding), [0, 1]);
    await assert.rejects(
      service.upload('default', image('news.jpg'), { multiFacePolicy: 'reject' }),
      MultipleFacesError,
    );
    assert.equal(store.rows.length, 1);
  });

  it('should compare only the largest MAX_FACES_PER_IMAGE faces, and say how many it skipped', async () => {
    engine.faces = [face([1, 0])];
    const { key } = await service.upload('default', image('me.jpg'));
    engine.faces = Array.from({ length: 12 }, (_, index) =>
      face([0, 1], 0.9, index * 8, 5 + index),
    );
    const verdict = await service.compare('default', image('crowd.jpg'), key);
    assert.equal(verdict.facesSkipped, 2);
  });

  it("should judge a photo against all of a subject's references, by the person's threshold", async () => {
    for (const direction of [
      [1, 0],
      [0.6, 0.8],
      [0, 1],
    ]) {
      engine.faces = [face(direction, 0.9, direction[0] * 10)];
      await service.upload('default', image('s.png'), { subject: 'sam' });
    }
    engine.faces = [face([0, 1])];
    await service.upload('default', image('other.png'), { subject: 'other' });
    engine.faces = [face([0.62, 0.78], 0.9, 3)];
    const verdict = await service.verifySubject('default', image('probe.png'), 'sam');
    assert.equal(verdict.referencesUsed, 3);
    // The closest rule (the fake calibration's): [0.6, 0.8] decides, and its box is shown.
    assert.ok(verdict.distance < 0.001);
    assert.equal(verdict.faces[0].x, 6);
    assert.equal(verdict.faces[1].x, 3);
    assert.ok(Math.abs(verdict.threshold - 0.1 / 3) < 1e-12);
    assert.equal(verdict.verified, true);
    assert.equal(verdict.falseAcceptRate, 0.003);
  });

  it('should refuse a subject no reference has, before looking at the photo', async () => {
    engine.faces = [face([1, 0])];
    await service.upload('default', image('s.png'), { subject: 'sam' });
    const calls = engine.calls;
    await assert.rejects(
      service.verifySubject('default', image('probe.png'), 'Sam'),
      SubjectNotFoundError,
    );
    await assert.rejects(
      service.verifySubject('default', image('probe.png'), 's'.repeat(101)),
      SubjectNotFoundError,
    );
    assert.equal(engine.calls, calls);
  });

  it('should refuse a person with a reference of another model, naming it', async () => {
    engine.faces = [face([1, 0])];
    const { key } = await service.upload('default', image('s.png'), { subject: 'sam' });
    store.rows[0].model = 'old-model@0';
    await assert.rejects(
      service.verifySubject('default', image('probe.png'), 'sam'),
      (error: ModelMismatchError) => error.key === key,
    );
  });

  it('should enrol the one face under a 32-hex-character key', async () => {
    engine.faces = [face([0, 1], 0.95, 7)];
    const { key } = await service.upload('default', image('me.png'));
    assert.match(key, /^[0-9a-f]{32}$/);
    assert.deepEqual(Array.from(store.rows[0].embedding), [0, 1]);
    assert.equal(store.rows[0].box.x, 7);
    assert.equal(store.rows[0].model, MODEL);
    assert.equal(store.rows[0].subject, null);
  });

  it('should store the subject with the photo, its name and its type', async () => {
    engine.faces = [face([0, 1])];
    const { key } = await service.upload('default', image('amy.png'), { subject: 'amy' });
    const [row] = store.rows;
    assert.deepEqual(
      { key: row.key, subject: row.subject, filename: row.filename, type: row.contentType },
      { key, subject: 'amy', filename: 'amy.png', type: 'image/jpeg' },
    );
    assert.equal(row.image, JPEG_START);
  });

  it('should not analyse an upload whose client has already gone, and pass the signal to the store', async () => {
    engine.faces = [face([0, 1])];
    const gone = new AbortController();
    gone.abort(new ClientDisconnectedError());
    await assert.rejects(
      service.upload('default', image('me.png'), {}, gone.signal),
      ClientDisconnectedError,
    );
    assert.equal(engine.calls, 0);
    const open = new AbortController().signal;
    await service.upload('default', image('me.png'), {}, open);
    assert.equal(store.signals[0], open);
  });

  it('should refuse a photo without a face', async () => {
    await assert.rejects(service.upload('default', image('me.jpg')), NoFaceDetectedError);
    assert.equal(store.rows.length, 0);
  });

  it('should judge the face the new photo is about, the others only counted as skipped', async () => {
    engine.faces = [face([1, 0])];
    const { key } = await service.upload('default', image('me.jpg'));
    // The wearer, large and central, and the reference's face printed small on his shirt.
    engine.faces = [face([0, 1], 0.99, 25, 50, 10), face([1, 0], 0.9, 42, 15, 70)];
    const bySubject = await service.compare('default', image('shirt.jpg'), key);
    assert.equal(bySubject.verified, false);
    assert.equal(bySubject.faces[1].x, 25);
    assert.equal(bySubject.facesSkipped, 1);
    const anyFace = await service.compare('default', image('shirt.jpg'), key, {
      probeFaces: 'all',
    });
    assert.equal(anyFace.verified, true);
    assert.equal(anyFace.faces[1].x, 42);
    assert.equal(anyFace.facesSkipped, 0);
  });

  it('should let the closest face decide where no face is the subject, as DeepFace does', async () => {
    engine.faces = [face([1, 0])];
    const { key } = await service.upload('default', image('me.jpg'));
    engine.faces = [face([0, 1], 0.99, 1), face([1, 0.05], 0.6, 2)];
    const result = await service.compare('default', image('group.jpg'), key);
    assert.equal(result.verified, true);
    assert.equal(result.faces[1].x, 2);
    assert.equal(result.threshold, 0.1);
    assert.ok(result.distance < 0.01);
  });

  it('should say not verified when the distance is above the threshold', async () => {
    engine.faces = [face([1, 0])];
    const { key } = await service.upload('default', image('me.jpg'));
    engine.faces = [face([0.7, 0.7])];
    const result = await service.compare('default', image('other.jpg'), key);
    assert.equal(result.verified, false);
    assert.ok(Math.abs(result.distance - (1 - Math.SQRT1_2)) < 1e-6);
  });

  it('should validate the key, then look it up before running the model', async () => {
    await assert.rejects(
      service.compare('default', image('a.jpg'), 'ab-cd'),
      InvalidReferenceKeyError,
    );
    await assert.rejects(
      service.compare('default', image('a.jpg'), 'abcd'),
      ReferenceNotFoundError,
    );
    await assert.rejects(
      service.compare('default', image('a.jpg'), 'a'.repeat(10_000)),
      ReferenceNotFoundError,
    );
    assert.equal(engine.calls, 0);
  });

  it('should refuse to compare with an embedding made by another model', async () => {
    store.rows.push({
      id: 99,
      collection: 'default',
      key: 'old',
      subject: null,
      filename: 'old.jpg',
      contentType: 'image/jpeg',
      image: Buffer.from('x'),
      embedding: Float32Array.from([1, 0]),
      box: { x: 0, y: 0, width: 1, height: 1 },
      quality: { score: 0.9, interOcular: 40, sharpness: 300, contrast: 40, yaw: 0, roll: 0 },
      model: 'some-older-model',
    });
    await assert.rejects(service.compare('default', image('a.jpg'), 'old'), ModelMismatchError);
    assert.equal(engine.calls, 0);
  });

  it('should wrap unexpected failures with the operation that failed', async () => {
    engine.faces = [face([1, 0])];
    store.failWith = new Error('disk full');
    await assert.rejects(
      service.upload('default', image('a.jpg')),
      (error: OperationFailedError) => {
        assert.equal(error.message, 'Error processing image: disk full');
        return true;
      },
    );
    await assert.rejects(
      service.list('default'),
      /^OperationFailedError: Error listing embeddings: disk full$/,
    );
  });

  it('should say the database is unavailable when it cannot be reached', async () => {
    store.failWith = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), {
      code: 'ECONNREFUSED',
    });
    await assert.rejects(service.list('default'), DatabaseUnavailableError);
  });

  it('should delete a stored reference and answer not found afterwards', async () => {
    engine.faces = [face([1, 0])];
    const { key } = await service.upload('default', image('a.jpg'));
    await service.delete('default', key);
    assert.equal(store.rows.length, 0);
    await assert.rejects(service.delete('default', key), ReferenceNotFoundError);
    await assert.rejects(service.delete('default', 'a/b'), InvalidReferenceKeyError);
  });
});
