// The ONNX graphs built from the shipped weights, run on onnxruntime-node, against the nets the
// service runs on tfjs-wasm (the fused detector and recognition net, face-api's landmark net), on
// real fixture photos. Skipped where onnxruntime-node is not installed (an optional dependency).
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type * as FaceApi from '@vladmandic/face-api';
import type * as TensorFlowModule from '@tensorflow/tfjs';
import { maxAbsDifference, wasmFaceApi } from '../../../test/support/wasm-face-api.js';
import { projectRoot } from '../../common/project-root.js';
import { fuseRecognitionNet, type RecognitionParams } from '../pipeline/fused-recognition.js';
import { fuseSsd, type SsdParams } from '../pipeline/fused-ssd.js';
import {
  cropRgb,
  detectorFrame,
  detectorInput,
  type DetectorFrame,
  type RgbImage,
} from '../pipeline/raster.js';
import { loadOnnxNets, loadOnnxRuntime, type OnnxNets } from './onnx-nets.js';
import { ensureOnnxModels, onnxModelFiles } from './onnx-models.js';

type TensorFlow = typeof TensorFlowModule;

const root = projectRoot();
const models = join(root, 'models');
const fixture = (name: string) => join(root, 'test', 'fixtures', name);

let runtime: ReturnType<typeof loadOnnxRuntime> | undefined;
try {
  runtime = loadOnnxRuntime();
} catch {
  runtime = undefined;
}

let faceapi: typeof FaceApi;
let tf: TensorFlow;
let nets: OnnxNets;

async function rgb(name: string, side?: number): Promise<RgbImage> {
  let pipeline = sharp(fixture(name)).removeAlpha();
  if (side) pipeline = pipeline.resize(side, side, { fit: 'fill' });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let [dot, normA, normB] = [0, 0, 0];
  for (let index = 0; index < a.length; index++) {
    dot += a[index] * b[index];
    normA += a[index] * a[index];
    normB += b[index] * b[index];
  }
  return 1 - dot / Math.sqrt(normA * normB);
}

/** Deviations measured, printed at the end as the spec's record. */
const measured: Record<string, number> = {};
function record(name: string, value: number): number {
  measured[name] = Math.max(measured[name] ?? 0, value);
  return value;
}

describe('ONNX nets', { skip: runtime ? false : 'onnxruntime-node is not installed' }, () => {
  before(async () => {
    ({ faceapi, tf } = await wasmFaceApi());
    // Builds the models from the weights where they are missing (the first run on a machine).
    const { files } = await ensureOnnxModels(models, () => Promise.resolve(faceapi));
    nets = await loadOnnxNets(runtime!, files);
    await faceapi.nets.ssdMobilenetv1.loadFromDisk(models);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(models);
    await faceapi.nets.faceRecognitionNet.loadFromDisk(models);
  });

  after(async () => {
    console.log(`ONNX vs tfjs-wasm, largest deviations: ${JSON.stringify(measured)}`);
    await nets.release();
    faceapi.nets.ssdMobilenetv1.dispose();
    faceapi.nets.faceLandmark68Net.dispose();
    faceapi.nets.faceRecognitionNet.dispose();
  });

  it('should find the boxes and scores the fused detector finds, to 0.5 px and 1e-4', async () => {
    const ssd = fuseSsd(tf, faceapi.nets.ssdMobilenetv1.params as unknown as SsdParams);
    for (const name of ['group-6-faces.jpg', 'person-a-2.jpg', 'person-b-1.jpg']) {
      const image = await rgb(name);
      const frames: DetectorFrame[] = [
        detectorFrame(image, 448, 32),
        { size: 512, width: 512, height: 512 },
      ];
      for (const frame of frames) {
        const input = detectorInput(image, frame);
        const tensor = tf.tensor4d(input, [1, frame.height, frame.width, 3]);
        const output = ssd.forward(tensor);
        const [boxes, scores] = [await output.boxes.data(), await output.scores.data()];
        tf.dispose([tensor, output.boxes, output.scores]);
        const actual = await nets.detect(input, frame);
        const label = `${name} at ${frame.width}x${frame.height}`;
        assert.equal(actual.scores.length, scores.length, label);
        // Boxes are fractions of the square, whose side is the photo's longer side.
        const pixels = maxAbsDifference(actual.boxes, boxes) * Math.max(image.width, image.height);
        assert.ok(record('boxPixels', pixels) < 0.5, `${label}: boxes ${pixels} px apart`);
        const scoreDeviation = maxAbsDifference(actual.scores, scores);
        assert.ok(record('score', scoreDeviation) < 1e-4, `${label}: scores ${scoreDeviation}`);
      }
    }
  });

  it("should place the 68 landmarks where face-api's net does, to 0.5 px", async () => {
    const photo = await rgb('group-6-faces.jpg');
    const crops = [
      await rgb('crop-penny-1.png'),
      await rgb('face-rectangular.png'),
      cropRgb(photo, { x: 100, y: 60, width: 91, height: 120 }),
      cropRgb(photo, { x: 10, y: 20, width: 130, height: 97 }),
    ];
    for (const [index, crop] of crops.entries()) {
      const tensor = tf.tensor3d(crop.data, [crop.height, crop.width, 3], 'int32');
      const expected = (await faceapi.nets.faceLandmark68Net.detectLandmarks(
        tensor,
      )) as FaceApi.FaceLandmarks68;
      tensor.dispose();
      const actual = await nets.landmarks(crop);
      const deviation = Math.max(
        ...expected.positions.map((point, point68) =>
          Math.hypot(point.x - actual[point68][0], point.y - actual[point68][1]),
        ),
      );
      assert.ok(record('landmarkPixels', deviation) < 0.5, `crop ${index}: ${deviation} px`);
    }
  });

  it('should describe chips as the fused recognition net does, to a cosine distance of 1e-4', async () => {
    const recognition = fuseRecognitionNet(
      tf,
      faceapi.nets.faceRecognitionNet.params as unknown as RecognitionParams,
    );
    const chips = await Promise.all(
      ['crop-penny-1.png', 'crop-sheldon-1.png', 'crop-raj-1.png'].map((name) => rgb(name, 150)),
    );
    const tensors = chips.map((chip) => tf.tensor3d(chip.data, [150, 150, 3], 'int32'));
    const output = recognition.describe(tensors);
    const expected = (await output.data()) as Float32Array;
    tf.dispose([output, ...tensors]);
    const actual = await nets.describe(chips.map((chip) => chip.data));
    assert.equal(actual.length, chips.length);
    for (const [chip, row] of actual.entries()) {
      const distance = cosineDistance(row, expected.subarray(chip * 128, (chip + 1) * 128));
      assert.ok(record('descriptorCosine', distance) < 1e-4, `chip ${chip}: ${distance}`);
    }
    // Two people's descriptors are far apart: the net is not answering a constant.
    assert.ok(cosineDistance(actual[0], actual[1]) > 0.05);
  });
});

describe('ONNX model files', () => {
  it('should build the models once, and again when one no longer matches its sum', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'onnx-models-'));
    try {
      for (const name of await readdir(models)) {
        if (/_model(-weights_manifest\.json|\.bin)$/.test(name)) {
          await symlink(join(models, name), join(dir, name));
        }
      }
      const load = async () => (await wasmFaceApi()).faceapi;
      assert.equal((await ensureOnnxModels(dir, load)).built, true);
      assert.equal((await ensureOnnxModels(dir, load)).built, false);
      const { landmarks } = onnxModelFiles(dir);
      const bytes = await readFile(landmarks);
      bytes[bytes.length - 1] ^= 1;
      await writeFile(landmarks, bytes);
      assert.equal((await ensureOnnxModels(dir, load)).built, true);
      // The same weights give the same bytes.
      assert.deepEqual(await readFile(landmarks), await readFile(onnxModelFiles(models).landmarks));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
