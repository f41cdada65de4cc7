/**
 * The ONNX models of face-api's three nets, built by this code from the weight files in the
 * models folder (whose sums are committed), never downloaded. Each `.onnx` file has its sha256
 * beside it, in `sha256sum` format: a model whose sum does not match is built again.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type * as FaceApi from '@vladmandic/face-api';
import type { RecognitionParams } from '../pipeline/fused-recognition.js';
import { RECOGNITION_CHIP_SIDE } from '../pipeline/fused-recognition.js';
import type { SsdParams } from '../pipeline/fused-ssd.js';
import {
  landmarkGraph,
  recognitionGraph,
  ssdGraph,
  ssdShippedAnchors,
  type LandmarkParams,
} from './face-api-graphs.js';

/**
 * Part of each file name: raise it when a graph changes, so models built by older code are
 * never loaded.
 */
export const ONNX_GRAPHS_VERSION = 1;

export interface OnnxModelFiles {
  ssd: string;
  /** The SSD's anchors for the 512 x 512 square, shipped with its weights: raw float32. */
  ssdAnchors: string;
  landmarks: string;
  recognition: string;
  /** MobileFaceNet's, built from its `.tflite` where FACE_MODEL needs it (mobilefacenet-model.ts). */
  mobileFaceNet?: string;
}

type Artifact = Exclude<keyof OnnxModelFiles, 'mobileFaceNet'>;

const NAMES: Record<Artifact, string> = {
  ssd: 'ssd_mobilenetv1.onnx',
  ssdAnchors: 'ssd_mobilenetv1.anchors.f32',
  landmarks: 'face_landmark_68.onnx',
  recognition: 'face_recognition.onnx',
};

export function onnxModelFiles(modelsDir: string): OnnxModelFiles {
  const path = (artifact: Artifact) =>
    join(modelsDir, NAMES[artifact].replace('.', `.v${ONNX_GRAPHS_VERSION}.`));
  return {
    ssd: path('ssd'),
    ssdAnchors: path('ssdAnchors'),
    landmarks: path('landmarks'),
    recognition: path('recognition'),
  };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Whether `path` exists and matches the sha256 written beside it. */
export async function intact(path: string): Promise<boolean> {
  try {
    const [bytes, sum] = await Promise.all([readFile(path), readFile(`${path}.sha256`, 'utf8')]);
    return sum.split(/\s+/)[0] === sha256(bytes);
  } catch {
    return false;
  }
}

/** Written beside and renamed into place, so a reader never sees half a model. */
export async function writeModel(path: string, bytes: Uint8Array): Promise<void> {
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, bytes);
  await writeFile(`${path}.sha256`, `${sha256(bytes)}  ${basename(path)}\n`);
  await rename(partial, path);
}

/**
 * The serialised models of face-api's nets, loaded from `modelsDir` on any tfjs backend (the nets
 * are disposed after).
 */
export async function buildModels(
  faceapi: typeof FaceApi,
  modelsDir: string,
): Promise<Record<Artifact, Uint8Array>> {
  const { ssdMobilenetv1, faceLandmark68Net, faceRecognitionNet } = faceapi.nets;
  await ssdMobilenetv1.loadFromDisk(modelsDir);
  await faceLandmark68Net.loadFromDisk(modelsDir);
  await faceRecognitionNet.loadFromDisk(modelsDir);
  try {
    const ssd = ssdMobilenetv1.params as unknown as SsdParams;
    const anchors = ssdShippedAnchors(ssd);
    const producer = 'facegate';
    return {
      ssd: ssdGraph(ssd).encode(producer),
      ssdAnchors: new Uint8Array(anchors.buffer, anchors.byteOffset, anchors.byteLength),
      landmarks: landmarkGraph({
        extractor: faceLandmark68Net.faceFeatureExtractor
          .params as unknown as LandmarkParams['extractor'],
        fc: faceLandmark68Net.params!.fc as unknown as LandmarkParams['fc'],
      }).encode(producer),
      recognition: recognitionGraph(
        faceRecognitionNet.params as unknown as RecognitionParams,
        RECOGNITION_CHIP_SIDE,
      ).encode(producer),
    };
  } finally {
    ssdMobilenetv1.dispose();
    faceLandmark68Net.dispose();
    faceRecognitionNet.dispose();
  }
}

/**
 * The model files in `modelsDir`, built from its weights where one is missing or does not match
 * its sum. `loadFaceApi` is called only then: building needs face-api on some tfjs backend.
 */
export async function ensureOnnxModels(
  modelsDir: string,
  loadFaceApi: () => Promise<typeof FaceApi>,
): Promise<{ files: OnnxModelFiles; built: boolean }> {
  const files = onnxModelFiles(modelsDir);
  const artifacts = Object.keys(NAMES) as Artifact[];
  const missing = (
    await Promise.all(artifacts.map(async (name) => ((await intact(files[name])) ? [] : [name])))
  ).flat();
  if (missing.length === 0) return { files, built: false };
  const built = await buildModels(await loadFaceApi(), modelsDir);
  for (const name of missing) await writeModel(files[name], built[name]);
  return { files, built: true };
}
