import type { LoadedEngine } from './backend.js';
import {
  fuseRecognitionNet,
  type FusedRecognitionNet,
  type RecognitionParams,
} from './fused-recognition.js';
import { fuseSsd, type FusedSsd, type SsdParams } from './fused-ssd.js';

/** A started backend with the three nets loaded; the detector and recognition net fused. */
export interface ReadyEngine extends LoadedEngine {
  /** The SSD detector with its layers fused, built from face-api's loaded weights. */
  ssd: FusedSsd;
  /** The recognition net with its layers fused, likewise. */
  recognition: FusedRecognitionNet;
}

/** Loads the weights from `modelsDir` (verified by the main thread before any worker starts). */
export async function loadModels(engine: LoadedEngine, modelsDir: string): Promise<ReadyEngine> {
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
  return {
    ...engine,
    ssd: fuseSsd(tf as unknown as Parameters<typeof fuseSsd>[0], ssdParams),
    recognition,
  };
}
