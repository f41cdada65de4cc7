import { createHash } from 'node:crypto';
import type { FaceBox } from '../../src/common/face-box.js';
import type {
  AnalysisTimings,
  EngineLoad,
  EngineStatus,
} from '../../src/face-engine/engine-status.js';
import { FaceAnalyser } from '../../src/face-engine/face-analyser.js';
import type { DetectedFace, FaceAnalysis } from '../../src/face-engine/face-engine.types.js';
import { selectFaces } from '../../src/face-engine/face-selection-rule.js';
import type { FaceSelection } from '../../src/face-engine/face-selection.js';

export const FAKE_MODEL = 'fake-model@1+p0';
const EMBEDDING_SIZE = 128;
const NO_TIMINGS: AnalysisTimings = { decode: 0, detect: 0, landmarks: 0, embed: 0, total: 0 };
const GOOD_QUALITY = { interOcular: 60, sharpness: 300, contrast: 40, yaw: 0, roll: 0 };

/**
 * A unit vector derived from `bytes` and `index` alone: the same photo always gives the same
 * embedding (distance 0 to itself), two different photos nearly orthogonal ones (distance near 1).
 */
export function fakeEmbedding(bytes: Uint8Array, index = 0): Float32Array {
  const values = new Float32Array(EMBEDDING_SIZE);
  for (let block = 0; block * 8 < EMBEDDING_SIZE; block++) {
    const digest = createHash('sha256').update(bytes).update(`${index}:${block}`).digest();
    for (let i = 0; i < 8; i++) values[block * 8 + i] = digest.readInt32LE(i * 4) / 2 ** 31;
  }
  const norm = Math.hypot(...values);
  return values.map((value) => value / norm);
}

/** A face as the engine reports one, with a good quality unless `overrides` say otherwise. */
export function fakeFace(
  embedding: Float32Array,
  overrides: Partial<DetectedFace> = {},
): DetectedFace {
  return {
    box: { x: 150, y: 100, width: 100, height: 100 },
    score: 0.99,
    quality: GOOD_QUALITY,
    embedding,
    ...overrides,
  };
}

/** `count` faces side by side, equal in size, so that none is the photo's subject. */
function facesOf(bytes: Uint8Array, count: number): DetectedFace[] {
  return Array.from({ length: count }, (_, index) => {
    const box: FaceBox = { x: 10 + index * 60, y: 100, width: 50, height: 50 };
    return fakeFace(fakeEmbedding(bytes, index), count === 1 ? {} : { box });
  });
}

/**
 * Both engine ports without a model: what the contract tier and the services' unit specs put in
 * the engine's place. By default every photo holds one face whose embedding is derived from its
 * bytes; `facesIn` sets how many faces photos hold (0: no face), `faces` the exact faces found,
 * `failWith` an error every analysis throws (the engine's own: busy, timeout, invalid image).
 * Selection is the engine's own rule (face-selection.ts), so the services see what they would.
 */
export class FakeFaceAnalyser extends FaceAnalyser implements EngineStatus {
  readonly backend = 'fake';
  model = FAKE_MODEL;
  workers = 2;
  /** Analyses started, failed ones included. */
  calls = 0;
  /** The size every photo has. */
  photo = { width: 400, height: 300 };
  /** Faces found in every photo, each derived from the photo's bytes. */
  facesIn = 1;
  /** When set, the faces found in every photo instead. */
  faces?: DetectedFace[];
  /** When set, what every analysis throws. */
  failWith?: Error;
  private readonly listeners: ((timings: AnalysisTimings) => void)[] = [];

  get load(): EngineLoad {
    return { queued: 0, running: 0 };
  }

  onTimings(listener: (timings: AnalysisTimings) => void): void {
    this.listeners.push(listener);
  }

  analyze(image: Buffer, selection: FaceSelection): Promise<FaceAnalysis> {
    this.calls++;
    if (this.failWith) return Promise.reject(this.failWith);
    const found = this.faces ?? facesOf(image, this.facesIn);
    for (const listener of this.listeners) listener(NO_TIMINGS);
    return Promise.resolve({
      ...this.photo,
      faces: selectFaces(found, this.photo, selection),
      detected: found.length,
      timings: NO_TIMINGS,
    });
  }

  /** Back to one face per photo, no failure. */
  reset(): void {
    this.calls = 0;
    this.facesIn = 1;
    this.faces = undefined;
    this.failWith = undefined;
  }
}
