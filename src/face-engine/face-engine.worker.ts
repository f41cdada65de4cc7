/**
 * Runs in a Piscina worker thread: loads TensorFlow.js and the face-api models once, then decodes,
 * detects and embeds images sent by `FaceEngine`. The HTTP thread never touches a tensor.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { workerData } from 'piscina';
import sharp from 'sharp';
import type * as FaceApi from '@vladmandic/face-api';
import type {
  EngineBackend,
  FaceAnalysis,
  UndecodableImage,
  WorkerInfo,
  WorkerOptions,
  WorkerTask,
} from './face-engine.types.js';

type FaceApiModule = typeof FaceApi;
type TensorFlow = typeof import('@tensorflow/tfjs');

interface LoadedEngine {
  faceapi: FaceApiModule;
  /** The TensorFlow.js instance this face-api build was bundled against. */
  tf: TensorFlow;
  backend: EngineBackend;
}

const require = createRequire(import.meta.url);

/** face-api ships one build per TensorFlow.js flavour; each requires its own tfjs package. */
function loadNativeBuild(): FaceApiModule {
  return require('@vladmandic/face-api/dist/face-api.node.js') as FaceApiModule;
}

function loadPortableBuild(): FaceApiModule {
  return require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule;
}

async function startBackend(options: WorkerOptions): Promise<LoadedEngine> {
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
  const backend: EngineBackend = options.backend === 'cpu' ? 'cpu' : 'wasm';
  if (backend === 'wasm') {
    const wasm =
      require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    // The .wasm binaries ship inside the npm package: point the loader at them, never at a CDN.
    wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  }
  if (!(await tf.setBackend(backend))) {
    throw new Error(`TensorFlow.js backend "${backend}" failed to initialise`);
  }
  await tf.ready();
  return { faceapi, tf, backend };
}

async function loadModels({ faceapi }: LoadedEngine, modelsDir: string): Promise<void> {
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelsDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelsDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelsDir);
}

async function decode(
  image: Uint8Array,
): Promise<{ pixels: Buffer; width: number; height: number }> {
  // rotate() with no angle applies the EXIF orientation, so boxes refer to the upright photo.
  const { data, info } = await sharp(image, { failOn: 'error' })
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3)
    throw new Error(`decoded image has ${info.channels} channels, expected 3`);
  return { pixels: data, width: info.width, height: info.height };
}

async function analyze(
  engine: LoadedEngine,
  options: WorkerOptions,
  image: Uint8Array,
): Promise<FaceAnalysis | UndecodableImage> {
  const { faceapi, tf } = engine;
  const started = performance.now();
  let decodedImage: Awaited<ReturnType<typeof decode>>;
  try {
    decodedImage = await decode(image);
  } catch (error) {
    return { undecodable: error instanceof Error ? error.message : String(error) };
  }
  const { pixels, width, height } = decodedImage;
  const decoded = performance.now();

  const input = tf.tensor3d(pixels, [height, width, 3], 'int32');
  try {
    const results = await faceapi
      .detectAllFaces(
        input,
        new faceapi.SsdMobilenetv1Options({ minConfidence: options.minConfidence }),
      )
      .withFaceLandmarks()
      .withFaceDescriptors();
    const done = performance.now();
    return {
      width,
      height,
      faces: results.map(({ detection, descriptor }) => ({
        box: {
          x: Math.round(detection.box.x),
          y: Math.round(detection.box.y),
          width: Math.round(detection.box.width),
          height: Math.round(detection.box.height),
        },
        score: detection.score,
        embedding: descriptor,
      })),
      timings: { decode: decoded - started, detect: done - decoded, total: done - started },
    };
  } finally {
    input.dispose();
  }
}

async function initialise(): Promise<
  (task: WorkerTask) => Promise<FaceAnalysis | UndecodableImage | WorkerInfo>
> {
  const options = workerData as WorkerOptions;
  const engine = await startBackend(options);
  await loadModels(engine, options.modelsDir);
  return async (task) => {
    if (task.kind === 'info') {
      return { backend: engine.backend, tfjsVersion: engine.tf.version_core };
    }
    return analyze(engine, options, task.image);
  };
}

// Piscina awaits an exported promise for the handler, so models load once per thread, up front.
export default initialise();
