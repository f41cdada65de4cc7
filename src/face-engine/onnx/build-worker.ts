/**
 * Runs in a short-lived worker thread: builds the ONNX models from the weights where they are
 * missing (and MobileFaceNet's from its `.tflite` where asked), so that the main thread never
 * loads face-api or TensorFlow.js nor spends seconds converting a graph.
 */
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type * as FaceApi from '@vladmandic/face-api';
import { ensureMobileFaceNetOnnx } from './mobilefacenet-model.js';
import { ensureOnnxModels } from './onnx-models.js';

const require = createRequire(import.meta.url);
const { modelsDir, mobileFaceNetTflite } = workerData as {
  modelsDir: string;
  mobileFaceNetTflite?: string;
};

const result = await ensureOnnxModels(modelsDir, async () => {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof FaceApi;
  // Building reads the weights and computes nothing: the plain CPU backend is enough.
  await (faceapi.tf as unknown as typeof import('@tensorflow/tfjs')).setBackend('cpu');
  return faceapi;
});
if (mobileFaceNetTflite) {
  const mobileFaceNet = await ensureMobileFaceNetOnnx(modelsDir, mobileFaceNetTflite);
  result.files.mobileFaceNet = mobileFaceNet.file;
  result.built ||= mobileFaceNet.built;
}
parentPort?.postMessage(result);
