import type { FaceBackendSetting, FaceModelSetting } from '../config/environment.js';
import type { FaceBox } from '../common/face-box.js';
import type { OnnxModelFiles } from './onnx/onnx-models.js';
import type { FaceQuality } from './pipeline/quality.js';
import type { FaceSelection } from './face-selection.js';

export type { FaceQuality, FaceSelection };

export type { FaceBox };

export interface DetectedFace {
  box: FaceBox;
  /** Detector confidence, 0..1. */
  score: number;
  quality: FaceQuality;
  /** The face's embedding: 128-d (dlib), 192-d (MobileFaceNet) or both fused (FACE_MODEL). */
  embedding: Float32Array;
}

export interface FaceAnalysis {
  width: number;
  height: number;
  /** The faces selected, embedded, in the order found (best detector score first). */
  faces: DetectedFace[];
  /** Faces found in the photo, selected or not. */
  detected: number;
  /**
   * Milliseconds spent per stage inside the worker, each summed over every pass the photo needed
   * (padded re-detections count in `detect`); `total` is the whole analysis, decoding included.
   */
  timings: { decode: number; detect: number; landmarks: number; embed: number; total: number };
  /**
   * Bytes of WebAssembly memory the worker's backend holds after the analysis (the wasm backend
   * only). It grows to the largest working set any analysis needed and never shrinks.
   */
  backendHeapBytes?: number;
}

/** The bytes are not an image the decoder can read; the worker says so instead of throwing. */
export interface UndecodableImage {
  undecodable: string;
  /** The header declares more pixels than MAX_IMAGE_PIXELS allows. */
  tooManyPixels: boolean;
}

export type EngineBackend = 'onnx' | 'tensorflow' | 'wasm';

export interface WorkerOptions {
  backend: FaceBackendSetting;
  /** The embedding model (FACE_MODEL): its net runs on onnxruntime where it is not dlib. */
  faceModel: FaceModelSetting;
  modelsDir: string;
  minConfidence: number;
  /** Side of the square the SSD detector sees (FACE_DETECTOR_SIZE). */
  detectorSize: number;
  /** Images declaring more pixels are refused before decoding (decompression bombs). */
  maxImagePixels: number;
  /** Intra-op threads per onnxruntime session (FACE_ONNX_THREADS). */
  onnxThreads: number;
  /**
   * The ONNX models, where the main thread found or built them (FACE_BACKEND onnx or auto), with
   * MobileFaceNet's where FACE_MODEL needs it.
   */
  onnxModels?: OnnxModelFiles;
}

export interface WorkerInfo {
  backend: EngineBackend;
  /** The runtime under the nets and its version, e.g. "tfjs 4.22.0". */
  runtime: string;
}

export type WorkerTask =
  | { kind: 'info' }
  | {
      kind: 'analyze';
      image: Uint8Array;
      selection: FaceSelection;
      /** An `AnalysisControl`'s shared cells: how the engine cancels or stops the analysis. */
      control: SharedArrayBuffer;
    };
