// MobileFaceNet built from its `.tflite` into an ONNX graph, checked against the same net run
// operator by operator on TensorFlow.js in TFLite's layout (there is no TFLite runtime here), and
// through the pipeline on real fixture photos. Skipped, with the reason, where the file or
// onnxruntime-node is not installed; failing instead under REQUIRE_MOBILEFACENET=1 (CI).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { noMobileFaceNet, mobileFaceNetTflite } from '../../../test/support/mobilefacenet.js';
import { runTfliteOnTfjs } from '../../../test/support/tflite-on-tfjs.js';
import { maxAbsDifference, wasmFaceApi } from '../../../test/support/wasm-face-api.js';
import { projectRoot } from '../../common/project-root.js';
import type { FaceModelSetting } from '../../config/environment.js';
import { cosineDistance } from '../cosine-distance.js';
import { FUSION_WEIGHTS } from '../face-models.js';
import type { FaceAnalysis, WorkerOptions } from '../face-engine.types.js';
import { analyze } from '../pipeline/analyze.js';
import { startBackend } from '../pipeline/backend.js';
import { MOBILEFACENET_CHIP_SIDE, MOBILEFACENET_NORMALISATION } from '../pipeline/mobilefacenet.js';
import { loadModels, type ReadyEngine } from '../pipeline/models.js';
import { withMirrors } from '../pipeline/nets.js';
import { ensureMobileFaceNetOnnx, verifyMobileFaceNet } from './mobilefacenet-model.js';
import { onnxModelFiles } from './onnx-models.js';
import { onnxRuntimeInstalled } from './prepare-onnx-models.js';
import { readTflite } from './tflite.js';

const root = projectRoot();
const modelsDir = join(root, 'models');
const fixture = (name: string) => join(root, 'test', 'fixtures', name);

const skip = onnxRuntimeInstalled() ? noMobileFaceNet : 'onnxruntime-node is not installed';

describe('MobileFaceNet from its .tflite', { skip }, () => {
  let engine: ReadyEngine;
  let options: WorkerOptions;
  let tflite: Buffer;
  let onnxFile: string;
  let scratch: string;

  before(async () => {
    const path = mobileFaceNetTflite();
    await verifyMobileFaceNet(path);
    tflite = await readFile(path);
    // Built into a folder of its own: the spec checks the builder, not a model built before.
    scratch = await mkdtemp(join(tmpdir(), 'mobilefacenet-'));
    const built = await ensureMobileFaceNetOnnx(scratch, path);
    assert.equal(built.built, true);
    assert.equal((await ensureMobileFaceNetOnnx(scratch, path)).built, false, 'kept, not rebuilt');
    onnxFile = built.file;
    options = {
      backend: 'onnx',
      faceModel: 'mobilefacenet',
      modelsDir,
      minConfidence: 0.5,
      detectorSize: 448,
      maxImagePixels: 40_000_000,
      onnxThreads: 1,
      // face-api's nets are built by the ONNX nets spec, or by the service's first start.
      onnxModels: { ...onnxModelFiles(modelsDir), mobileFaceNet: onnxFile },
    };
    engine = await loadModels(await startBackend(options), options);
  });

  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  async function chip(name: string): Promise<Float32Array> {
    const side = MOBILEFACENET_CHIP_SIDE;
    const { data } = await sharp(fixture(name))
      .removeAlpha()
      .resize(side, side, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return Float32Array.from(data);
  }

  it('should compute what the TFLite net computes, operator by operator in its own layout', async () => {
    const { tf } = await wasmFaceApi();
    const chips = withMirrors([await chip('crop-penny-1.png')], MOBILEFACENET_CHIP_SIDE);
    const batch = new Float32Array(chips[0].length * 2);
    chips.forEach((view, index) => batch.set(view, index * view.length));
    const { mean, scale } = MOBILEFACENET_NORMALISATION;
    const reference = runTfliteOnTfjs(
      tf,
      readTflite(tflite),
      batch.map((value) => (value - mean) / scale),
    );
    const onnx = await engine.nets.mobileFaceNet!(chips);
    assert.equal(onnx.length, 2);
    assert.equal(onnx[0].length, 192);
    const largest = maxAbsDifference([...onnx[0], ...onnx[1]], reference);
    const magnitude = Math.max(...reference.map(Math.abs));
    console.log(
      `MobileFaceNet ONNX vs TFLite ops on tfjs: largest difference ${largest} of ${magnitude}`,
    );
    assert.ok(largest < 1e-4 * magnitude, `${largest} apart`);
  });

  async function embeddings(...names: string[]): Promise<Float32Array[]> {
    return embeddingsOf('mobilefacenet', ...names);
  }

  async function embeddingsOf(
    model: FaceModelSetting,
    ...names: string[]
  ): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const name of names) {
      const bytes = await readFile(fixture(name));
      const result = (await analyze(engine, { ...options, faceModel: model }, bytes, {
        kind: 'largest',
        max: 1,
      })) as FaceAnalysis;
      assert.equal(result.faces.length, 1, name);
      out.push(result.faces[0].embedding);
    }
    return out;
  }

  it('should give a face a 192-d embedding of length 1', async () => {
    const [embedding] = await embeddings('person-a-1.jpg');
    assert.equal(embedding.length, 192);
    assert.ok(Math.abs(Math.hypot(...embedding) - 1) < 1e-5);
  });

  it('should put photos of the same person closer than photos of different people', async () => {
    const [a1, a2, b1, b2, s1, s2, t1] = await embeddings(
      'person-a-1.jpg',
      'person-a-2.jpg',
      'person-b-1.jpg',
      'person-b-2.jpg',
      'orl-s1-1.png',
      'orl-s1-2.png',
      'orl-s2-1.png',
    );
    const same = [cosineDistance(a1, a2), cosineDistance(b1, b2), cosineDistance(s1, s2)];
    const different = [a1, a2].flatMap((a) => [b1, b2, s1, t1].map((b) => cosineDistance(a, b)));
    different.push(cosineDistance(s1, t1), cosineDistance(s2, t1), cosineDistance(b1, t1));
    console.log(
      `same person ${same.map((d) => d.toFixed(3)).join(', ')}; different: ${Math.min(...different).toFixed(3)} or more`,
    );
    assert.ok(Math.max(...same) < Math.min(...different));
  });

  it('should fuse both models into a distance that is their weighted sum (FACE_MODEL=fusion)', async () => {
    const photos = ['person-a-1.jpg', 'person-a-2.jpg', 'person-b-1.jpg'];
    // One after the other, as in a worker: the detector's input buffer is the module's.
    const fused = await embeddingsOf('fusion', ...photos);
    const dlib = await embeddingsOf('dlib', ...photos);
    const mobileFaceNet = await embeddingsOf('mobilefacenet', ...photos);
    assert.equal(fused[0].length, 128 + 192);
    for (const [i, j] of [
      [0, 1],
      [0, 2],
    ]) {
      const expected =
        FUSION_WEIGHTS.dlib ** 2 * cosineDistance(dlib[i], dlib[j]) +
        FUSION_WEIGHTS.mobilefacenet ** 2 * cosineDistance(mobileFaceNet[i], mobileFaceNet[j]);
      assert.ok(Math.abs(cosineDistance(fused[i], fused[j]) - expected) < 1e-5);
    }
  });

  it("should give a photo's mirror image nearly the same embedding", async () => {
    const [photo] = await embeddings('person-a-1.jpg');
    const mirrored = await sharp(fixture('person-a-1.jpg')).flop().jpeg({ quality: 95 }).toBuffer();
    const result = (await analyze(engine, options, mirrored, {
      kind: 'largest',
      max: 1,
    })) as FaceAnalysis;
    // The face and its mirror make every embedding, so a mirrored photo differs only by where
    // the landmarks fall and by the second JPEG encoding.
    const distance = cosineDistance(photo, result.faces[0].embedding);
    console.log(`a photo and its mirror image: ${distance.toFixed(4)} apart`);
    assert.ok(distance < 0.05, `${distance}`);
  });
});
