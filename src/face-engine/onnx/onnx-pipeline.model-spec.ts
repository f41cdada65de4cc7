// A photo's whole analysis on the onnx backend against the wasm one: the same faces and boxes,
// quality measures within 1e-4 of each other, and embeddings within a cosine distance of 1e-4, so that references stored by one
// backend match photos analysed by the other.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { projectRoot } from '../../common/project-root.js';
import { cosineDistance } from '../cosine-distance.js';
import type { WorkerOptions } from '../face-engine.types.js';
import { analyze } from '../pipeline/analyze.js';
import { startBackend } from '../pipeline/backend.js';
import { loadModels, type ReadyEngine } from '../pipeline/models.js';
import { onnxModelFiles } from './onnx-models.js';
import { onnxRuntimeInstalled } from './prepare-onnx-models.js';

const root = projectRoot();
const modelsDir = join(root, 'models');
const options: Omit<WorkerOptions, 'backend'> = {
  modelsDir,
  minConfidence: 0.5,
  detectorSize: 448,
  maxImagePixels: 40_000_000,
  onnxModels: onnxModelFiles(modelsDir),
  faceModel: 'dlib',
  onnxThreads: 1,
};
const PHOTOS = [
  'group-6-faces.jpg',
  'person-a-1.jpg',
  'person-a-1-exif6.jpg',
  'person-b-2.jpg',
  'crop-leonard-1.png',
  'orl-s1-1.png',
  'face-rectangular.png',
  'no-face.png',
];

describe(
  'onnx and wasm backends',
  { skip: !onnxRuntimeInstalled() && 'no onnxruntime-node' },
  () => {
    let onnx: ReadyEngine;
    let wasm: ReadyEngine;

    before(async () => {
      // Built by the nets spec, or by the service's first start.
      onnx = await loadModels(await startBackend({ ...options, backend: 'onnx' }), options);
      wasm = await loadModels(await startBackend({ ...options, backend: 'wasm' }), options);
    });

    const analysis = (engine: ReadyEngine, bytes: Uint8Array) =>
      analyze(engine, { ...options, backend: 'auto' }, bytes, { kind: 'largest', max: 10 });

    it('should find the same faces and embed them within a cosine distance of 1e-4', async () => {
      let largest = 0;
      for (const name of PHOTOS) {
        const bytes = await readFile(join(root, 'test', 'fixtures', name));
        // One after the other, as in a worker: the detector's input buffer is the module's.
        const [a, b] = [await analysis(onnx, bytes), await analysis(wasm, bytes)];
        assert.ok(!('undecodable' in a) && !('undecodable' in b), name);
        assert.deepEqual(
          a.faces.map(({ box }) => box),
          b.faces.map(({ box }) => box),
          name,
        );
        for (const [index, face] of a.faces.entries()) {
          const other = b.faces[index];
          largest = Math.max(largest, cosineDistance(face.embedding, other.embedding));
          // Measured from the landmarks, which differ by float rounding.
          for (const [measure, value] of Object.entries(face.quality)) {
            const expected = other.quality[measure as keyof typeof face.quality];
            assert.ok(
              Math.abs(value - expected) <= 1e-4 * Math.abs(expected),
              `${name} ${measure}`,
            );
          }
        }
      }
      assert.ok(largest < 1e-4, `embeddings ${largest} apart`);
      console.log(`onnx vs wasm, largest cosine distance between embeddings: ${largest}`);
    });
  },
);
