// The fused detector and recognition net against face-api's own forward passes, on the wasm
// backend the service uses, with the shipped weights and real fixture photos.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type * as FaceApi from '@vladmandic/face-api';
import type * as TensorFlowModule from '@tensorflow/tfjs';
import { maxAbsDifference, wasmFaceApi } from '../../../test/support/wasm-face-api.js';
import { projectRoot } from '../../common/project-root.js';
import { fuseRecognitionNet, type RecognitionParams } from './fused-recognition.js';
import { fuseSsd, ssdAnchors, type SsdParams } from './fused-ssd.js';
import { detectorFrame, detectorInput, type RgbImage } from './raster.js';

type TensorFlow = typeof TensorFlowModule;
type Tensor3D = TensorFlowModule.Tensor3D;
type Tensor4D = TensorFlowModule.Tensor4D;

const root = projectRoot();
const fixture = (name: string) => join(root, 'test', 'fixtures', name);

let faceapi: typeof FaceApi;
let tf: TensorFlow;

async function rgbTensor(file: string, side?: number): Promise<Tensor3D> {
  let pipeline = sharp(file).removeAlpha();
  if (side) pipeline = pipeline.resize(side, side, { fit: 'fill' });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return tf.tensor3d(new Uint8Array(data), [info.height, info.width, 3], 'int32');
}

describe('fused nets', () => {
  before(async () => {
    ({ faceapi, tf } = await wasmFaceApi());
    const models = join(root, 'models');
    await faceapi.nets.ssdMobilenetv1.loadFromDisk(models);
    await faceapi.nets.faceRecognitionNet.loadFromDisk(models);
  });

  after(() => {
    faceapi.nets.ssdMobilenetv1.dispose();
    faceapi.nets.faceRecognitionNet.dispose();
  });

  it('should describe faces as face-api does, up to float rounding, holding no tensor after', async () => {
    const net = fuseRecognitionNet(
      tf,
      faceapi.nets.faceRecognitionNet.params as unknown as RecognitionParams,
    );
    const chips = [
      await rgbTensor(fixture('crop-penny-1.png'), 150),
      await rgbTensor(fixture('crop-sheldon-1.png'), 150),
    ];
    chips.push(tf.reverse(chips[0], 1));
    const expected = (await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(
      chips,
    )) as Float32Array[];
    const tensorsBefore = tf.memory().numTensors;
    const output = net.describe(chips);
    const actual = (await output.data()) as Float32Array;
    output.dispose();
    assert.equal(tf.memory().numTensors, tensorsBefore);
    assert.equal(actual.length, 3 * 128);
    expected.forEach((descriptor, index) => {
      const row = actual.subarray(index * 128, (index + 1) * 128);
      assert.ok(maxAbsDifference(row, descriptor) < 1e-5, `chip ${index} differs`);
    });
    // Two people's descriptors differ by far more than the rounding allowed above.
    assert.ok(maxAbsDifference(expected[0], expected[1]) > 0.05);
    tf.dispose(chips);
  });

  it('should find boxes and scores as face-api does, holding no tensor after', async () => {
    const ssd = fuseSsd(tf, faceapi.nets.ssdMobilenetv1.params as unknown as SsdParams);
    const image = await rgbTensor(fixture('group-6-faces.jpg'));
    const netInput = await faceapi.toNetInput(image);
    const expected = faceapi.nets.ssdMobilenetv1.forwardInput(netInput);
    const input = tf.tidy(() => {
      const square = netInput.toBatchTensor(512, false) as unknown as Tensor4D;
      return tf.sub<Tensor4D>(tf.div(tf.cast(square, 'float32'), 127.5), 1);
    });
    const tensorsBefore = tf.memory().numTensors;
    const { boxes, scores } = ssd.forward(input);
    const [actualBoxes, actualScores] = [await boxes.data(), await scores.data()];
    tf.dispose([boxes, scores]);
    assert.equal(tf.memory().numTensors, tensorsBefore);
    const expectedBoxes = await expected.boxes[0].data();
    const expectedScores = await expected.scores[0].data();
    assert.equal(actualScores.length, 5118);
    assert.ok(maxAbsDifference(actualBoxes, expectedBoxes) < 1e-4);
    assert.ok(maxAbsDifference(actualScores, expectedScores) < 1e-4);
    // The photo's six faces score high on both.
    assert.equal(Array.from(actualScores).filter((score) => score > 0.5).length >= 6, true);
    tf.dispose([input, image]);
    for (const tensor of [...expected.boxes, ...expected.scores]) tensor.dispose();
  });

  it('should generate the anchors shipped with the weights for the 512 x 512 grids', async () => {
    const shipped = await faceapi.nets.ssdMobilenetv1.params!.output_layer.extra_dim.data();
    const generated = ssdAnchors(
      [32, 16, 8, 4, 2, 1].map((grid): [number, number] => [grid, grid]),
    );
    assert.equal(generated.length, shipped.length);
    assert.ok(maxAbsDifference(generated, shipped) < 1e-4);
  });

  it('should detect at a smaller input size with anchors for its grids', async () => {
    const ssd = fuseSsd(tf, faceapi.nets.ssdMobilenetv1.params as unknown as SsdParams);
    const image = await rgbTensor(fixture('person-a-1.jpg'));
    const input = tf.tidy(() => {
      const batch = tf.image.resizeBilinear(tf.expandDims<Tensor4D>(image), [384, 384]);
      return tf.sub<Tensor4D>(tf.div(batch, 127.5), 1);
    });
    const { boxes, scores } = ssd.forward(input);
    // Grids 24, 12, 6, 3, 2, 1: 24 x 24 x 3 + (144 + 36 + 9 + 4 + 1) x 6 anchors.
    assert.deepEqual(boxes.shape, [2892, 4]);
    const values = await scores.data();
    const best = values.indexOf(Math.max(...values));
    assert.ok(values[best] > 0.9);
    const [top, left, bottom, right] = (await boxes.data()).subarray(4 * best, 4 * best + 4);
    // One face, well inside the photo.
    assert.ok(top > 0 && left > 0 && bottom < 1 && right < 1 && bottom - top > 0.1);
    tf.dispose([boxes, scores, input, image]);
  });

  it("should make the detector's input as face-api's toBatchTensor does, or a frame of it", async () => {
    for (const [width, height, size] of [
      [37, 23, 16],
      [23, 37, 50],
      [640, 427, 448],
    ]) {
      const data = Uint8Array.from({ length: width * height * 3 }, (_, index) => (index * 7) % 256);
      const tensor = tf.tensor3d(data, [height, width, 3], 'int32');
      const netInput = await faceapi.toNetInput(tensor);
      const expected = tf.tidy(() =>
        tf.sub(tf.div(netInput.toBatchTensor(size, false) as unknown as Tensor4D, 127.5), 1),
      );
      const square = await expected.data();
      const actual = detectorInput({ data, width, height }, { size, width: size, height: size });
      // WebAssembly's kernel keeps its source coordinates in float32 (the reference CPU kernel
      // matches to 1e-7): under a hundredth of a grey level apart.
      assert.ok(maxAbsDifference(actual, square) < 2e-4, `${width}x${height}`);
      // The frame is the square's top-left corner, covering the image.
      const frame = detectorFrame({ width, height }, size, 8);
      const fit = size / Math.max(width, height);
      assert.ok(frame.width >= width * fit && frame.width - width * fit < 8, `${width} wide`);
      assert.ok(frame.height >= height * fit && frame.height - height * fit < 8, `${height} high`);
      const cut = detectorInput({ data, width, height }, frame);
      const corner = Float32Array.from({ length: cut.length }, (_, index) => {
        const pixel = Math.floor(index / 3);
        const [row, column] = [Math.floor(pixel / frame.width), pixel % frame.width];
        return square[(row * size + column) * 3 + (index % 3)];
      });
      assert.ok(maxAbsDifference(cut, corner) < 2e-4, `${width}x${height} frame`);
      tf.dispose([tensor, expected]);
    }
  });

  it('should find the same face in the frame an image fills as in the whole square', async () => {
    const ssd = fuseSsd(tf, faceapi.nets.ssdMobilenetv1.params as unknown as SsdParams);
    const { data, info } = await sharp(fixture('person-a-2.jpg'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    const image: RgbImage = { data: new Uint8Array(data), width: info.width, height: info.height };
    const best = async (frame: { size: number; width: number; height: number }) => {
      const input = tf.tensor4d(detectorInput(image, frame), [1, frame.height, frame.width, 3]);
      const { boxes, scores } = ssd.forward(input);
      const values = await scores.data();
      const index = values.indexOf(Math.max(...values));
      const box = Array.from((await boxes.data()).subarray(4 * index, 4 * index + 4));
      tf.dispose([input, boxes, scores]);
      return { score: values[index], box };
    };
    const frame = detectorFrame(image, 448, 32);
    // A 750 x 1050 portrait fills 320 of the square's 448 columns.
    assert.deepEqual([frame.width, frame.height], [320, 448]);
    const whole = await best({ size: 448, width: 448, height: 448 });
    const cut = await best(frame);
    assert.ok(whole.score > 0.9 && cut.score > 0.9);
    // Boxes are fractions of the square in both cases: the same face, to within 1% of it.
    assert.ok(
      maxAbsDifference(cut.box, whole.box) < 0.01,
      `${cut.box.join()} vs ${whole.box.join()}`,
    );
  });
});
