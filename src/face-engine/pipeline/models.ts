import { loadOnnxNets } from '../onnx/onnx-nets.js';
import type { LoadedEngine } from './backend.js';
import type { WorkerOptions } from '../face-engine.types.js';
import { fuseRecognitionNet, type RecognitionParams } from './fused-recognition.js';
import { fuseSsd, type SsdParams } from './fused-ssd.js';
import { tfjsNets, type FaceNets } from './nets.js';

/** A started backend with the three nets loaded. */
export interface ReadyEngine extends LoadedEngine {
  nets: FaceNets;
}

/**
 * Loads the nets: on onnxruntime, the models the main thread built (`options.onnxModels`); on
 * TensorFlow.js, the weights from `modelsDir` (verified by the main thread before any worker
 * starts), with the detector and recognition net fused.
 */
export async function loadModels(
  engine: LoadedEngine,
  {
    modelsDir,
    onnxModels,
    onnxThreads,
    faceModel = 'dlib',
  }: Pick<WorkerOptions, 'modelsDir' | 'onnxModels' | 'onnxThreads'> &
    Partial<Pick<WorkerOptions, 'faceModel'>>,
): Promise<ReadyEngine> {
  if (faceModel !== 'dlib' && !(engine.onnxRuntime && onnxModels?.mobileFaceNet)) {
    throw new Error(`FACE_MODEL=${faceModel} runs on onnxruntime, with the model built at start`);
  }
  if (engine.onnxRuntime) {
    if (!onnxModels) throw new Error('The onnx backend started without its models');
    return { ...engine, nets: await loadOnnxNets(engine.onnxRuntime, onnxModels, onnxThreads) };
  }
  const { faceapi, tf } = engine;
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelsDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelsDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelsDir);
  const ssdParams = faceapi.nets.ssdMobilenetv1.params as unknown as SsdParams;
  const recognitionParams = faceapi.nets.faceRecognitionNet.params as unknown as RecognitionParams;
  const recognition = fuseRecognitionNet(
    tf as unknown as Parameters<typeof fuseRecognitionNet>[0],
    recognitionParams,
  );
  // The fused net holds its own weights: face-api's 26 MB copy would only take up memory.
  faceapi.nets.faceRecognitionNet.dispose();
  const ssd = fuseSsd(tf as unknown as Parameters<typeof fuseSsd>[0], ssdParams);
  return { ...engine, nets: tfjsNets(faceapi, tf, ssd, recognition) };
}
