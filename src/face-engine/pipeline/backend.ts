import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as FaceApi from '@vladmandic/face-api';
import type { EngineBackend, WorkerOptions } from '../face-engine.types.js';
import { loadOnnxRuntime } from '../onnx/onnx-nets.js';

export type FaceApiModule = typeof FaceApi;
export type TensorFlow = typeof import('@tensorflow/tfjs');

/** A worker's TensorFlow.js backend, started, with the face-api build that runs on it. */
export interface LoadedEngine {
  faceapi: FaceApiModule;
  /** The TensorFlow.js instance this face-api build was bundled against. */
  tf: TensorFlow;
  backend: EngineBackend;
  /** onnxruntime-node, on the onnx backend: it runs the nets, and tf (on its CPU backend) none. */
  onnxRuntime?: ReturnType<typeof loadOnnxRuntime>;
}

const require = createRequire(import.meta.url);

/** face-api ships one build per TensorFlow.js flavour; each requires its own tfjs package. */
function loadNativeBuild(): FaceApiModule {
  return require('@vladmandic/face-api/dist/face-api.node.js') as FaceApiModule;
}

function loadPortableBuild(): FaceApiModule {
  return require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule;
}

/**
 * The backend FACE_BACKEND asks for; `auto` prefers onnxruntime where it loads and its models are
 * there, then tfjs-node, then WebAssembly.
 */
export async function startBackend(options: WorkerOptions): Promise<LoadedEngine> {
  if (options.backend === 'onnx' || (options.backend === 'auto' && options.onnxModels)) {
    try {
      const onnxRuntime = loadOnnxRuntime();
      // face-api still gives the detections' geometry; no net runs on its TensorFlow.js.
      const faceapi = loadPortableBuild();
      const tf = faceapi.tf as unknown as TensorFlow;
      await tf.setBackend('cpu');
      await tf.ready();
      return { faceapi, tf, backend: 'onnx', onnxRuntime };
    } catch (error) {
      // `auto` goes on to the next backend where the runtime is installed but does not load.
      if (options.backend === 'onnx') {
        throw new Error(
          `FACE_BACKEND=onnx but onnxruntime-node could not be loaded: ${String(error)}`,
        );
      }
    }
  }
  if (options.backend === 'tensorflow' || options.backend === 'auto') {
    try {
      const faceapi = loadNativeBuild();
      const tf = faceapi.tf as unknown as TensorFlow;
      await tf.setBackend('tensorflow');
      await tf.ready();
      return { faceapi, tf, backend: 'tensorflow' };
    } catch (error) {
      if (options.backend === 'tensorflow') {
        throw new Error(
          `FACE_BACKEND=tensorflow but @tensorflow/tfjs-node could not be loaded: ${String(error)}`,
        );
      }
    }
  }
  const faceapi = loadPortableBuild();
  const tf = faceapi.tf as unknown as TensorFlow;
  const backend: EngineBackend = 'wasm';
  const wasm =
    require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  // The .wasm binaries ship inside the npm package: point the loader at them, never at a CDN.
  wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  if (!(await tf.setBackend(backend))) {
    throw new Error(`TensorFlow.js backend "${backend}" failed to initialise`);
  }
  await tf.ready();
  return { faceapi, tf, backend };
}

/** The wasm backend's linear memory: the part of a worker's memory that never shrinks. */
export function backendHeapBytes({ tf, backend }: LoadedEngine): number | undefined {
  if (backend !== 'wasm') return undefined;
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap?.byteLength;
}
