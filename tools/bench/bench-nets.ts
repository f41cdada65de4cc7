// `npm run bench:nets`: each net's time per call on each backend, in this thread, one thread
// each: the SSD detector on a 448 x 448 frame, the landmark net on a face crop, the recognition net
// on a batch of two chips (a chip and its mirror image, as the pipeline embeds a face), and
// MobileFaceNet on its two 112 x 112 chips on onnx where its `.tflite` is installed. Rounds
// interleave the backends and nets so that background load spreads over all of them; prints the
// median, fastest and slowest milliseconds. Run it under `nice` on a shared machine.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { projectRoot } from '../../src/common/project-root.js';
import type { EngineBackend } from '../../src/face-engine/face-engine.types.js';
import { prepareOnnxModels } from '../../src/face-engine/onnx/prepare-onnx-models.js';
import { startBackend } from '../../src/face-engine/pipeline/backend.js';
import { loadModels, type ReadyEngine } from '../../src/face-engine/pipeline/models.js';
import { withMirrors } from '../../src/face-engine/pipeline/nets.js';
import { MOBILEFACENET_CHIP_SIDE } from '../../src/face-engine/pipeline/mobilefacenet.js';
import { locateMobileFaceNet } from '../../src/face-engine/onnx/mobilefacenet-model.js';
import { cropRgb, detectorInput, type RgbImage } from '../../src/face-engine/pipeline/raster.js';
import { median } from './statistics.js';

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string', default: 'onnx,wasm' },
    runs: { type: 'string', default: '40' },
    warmup: { type: 'string', default: '5' },
  },
});

const root = projectRoot();
const modelsDir = join(root, 'models');
let mobileFaceNet: string | undefined;
try {
  mobileFaceNet = locateMobileFaceNet(process.env.MOBILEFACENET_TFLITE, 'mobilefacenet');
} catch {
  mobileFaceNet = undefined;
}
const { files: onnxModels } = await prepareOnnxModels(modelsDir, mobileFaceNet);
const options = {
  modelsDir,
  minConfidence: 0.5,
  detectorSize: 448,
  maxImagePixels: 40_000_000,
  onnxModels,
  onnxThreads: 1,
  faceModel: 'dlib' as const,
};

async function rgb(name: string, resize?: { width: number; height: number }): Promise<RgbImage> {
  let pipeline = sharp(join(root, 'test', 'fixtures', name)).removeAlpha();
  if (resize) pipeline = pipeline.resize(resize.width, resize.height, { fit: 'fill' });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

// A one-face photo as the detector sees it, a face crop of the size the landmark net gets from a
// 1-3 MP photo, and a 150 x 150 chip.
const frame = { size: 448, width: 448, height: 448 };
const input = detectorInput(await rgb('person-a-1.jpg'), frame);
const crop = cropRgb(await rgb('group-6-faces.jpg'), { x: 100, y: 60, width: 91, height: 120 });
const chips = withMirrors([(await rgb('crop-penny-1.png', { width: 150, height: 150 })).data], 150);
const side = MOBILEFACENET_CHIP_SIDE;
const mobileFaceNetChips = withMirrors(
  [(await rgb('crop-penny-1.png', { width: side, height: side })).data],
  side,
);
const skipped = Promise.resolve('skipped' as const);

const nets: Record<string, (engine: ReadyEngine) => Promise<unknown>> = {
  'detector 448x448': (engine) => engine.nets.detect(input, frame),
  'landmarks 91x120 crop': (engine) => engine.nets.landmarks(crop),
  'recognition 2 chips': (engine) => engine.nets.describe(chips),
  // Only on the engine that has it: the others record nothing.
  'MobileFaceNet 2 chips': (engine) => engine.nets.mobileFaceNet?.(mobileFaceNetChips) ?? skipped,
};

const engines: { backend: EngineBackend; engine: ReadyEngine }[] = [];
for (const requested of (args.backends ?? '').split(',').filter(Boolean)) {
  const backend = requested as EngineBackend;
  const faceModel = backend === 'onnx' && mobileFaceNet ? 'mobilefacenet' : 'dlib';
  const engine = await loadModels(await startBackend({ ...options, backend }), {
    ...options,
    faceModel,
  });
  if (engine.backend !== backend) throw new Error(`${backend} resolved to ${engine.backend}`);
  engines.push({ backend, engine });
}

const samples = new Map<string, number[]>();
const runs = Number(args.runs);
const warmup = Number(args.warmup);
for (let round = 0; round < warmup + runs; round++) {
  for (const { backend, engine } of engines) {
    for (const [net, run] of Object.entries(nets)) {
      const started = performance.now();
      const result = await run(engine);
      const ms = performance.now() - started;
      if (round < warmup || result === 'skipped') continue;
      const key = `${net}|${backend}`;
      samples.set(key, [...(samples.get(key) ?? []), ms]);
    }
  }
}

console.log(`ms per call, median (fastest..slowest) of ${runs} runs after ${warmup} warm-up`);
const header = ['net', ...engines.map(({ backend }) => backend)];
const rows = Object.keys(nets).map((net) => [
  net,
  ...engines.map(({ backend }) => {
    const values = samples.get(`${net}|${backend}`) ?? [];
    if (values.length === 0) return '-';
    const [low, high] = [Math.min(...values), Math.max(...values)];
    return `${median(values).toFixed(1)} (${low.toFixed(1)}..${high.toFixed(1)})`;
  }),
]);
const widths = header.map((title, column) =>
  Math.max(title.length, ...rows.map((row) => row[column].length)),
);
for (const row of [header, ...rows]) {
  console.log(row.map((cell, column) => cell.padEnd(widths[column])).join('  '));
}
