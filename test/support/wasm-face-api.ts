// What the specs that compare nets share: face-api on the wasm backend the service runs, and the
// largest difference between two arrays.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as FaceApi from '@vladmandic/face-api';
import type * as TensorFlowModule from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

/** face-api's wasm build, its TensorFlow.js on the wasm backend (binaries from the package). */
export async function wasmFaceApi(): Promise<{
  faceapi: typeof FaceApi;
  tf: typeof TensorFlowModule;
}> {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof FaceApi;
  const tf = faceapi.tf as unknown as typeof TensorFlowModule;
  const wasm =
    require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  assert.ok(await tf.setBackend('wasm'));
  return { faceapi, tf };
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let index = 0; index < a.length; index++) {
    max = Math.max(max, Math.abs(a[index] - b[index]));
  }
  return max;
}
