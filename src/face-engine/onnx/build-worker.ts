/**
 * Runs in a short-lived worker thread: builds the ONNX models from the weights where they are
 * missing, so that the main thread never loads face-api or TensorFlow.js.
 */
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type * as FaceApi from '@vladmandic/face-api';
import { ensureOnnxModels } from './onnx-models.js';

const require = createRequire(import.meta.url);
const { modelsDir } = workerData as { modelsDir: string };

const result = await ensureOnnxModels(modelsDir, async () => {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof FaceApi;
  // Building reads the weights and computes nothing: the plain CPU backend is enough.
  await (faceapi.tf as unknown as typeof import('@tensorflow/tfjs')).setBackend('cpu');
  return faceapi;
});
parentPort?.postMessage(result);
