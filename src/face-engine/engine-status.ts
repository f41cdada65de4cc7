import type { FaceAnalysis } from './face-engine.types.js';

/** Analyses waiting for a free worker, and analyses running on one. */
export interface EngineLoad {
  queued: number;
  running: number;
}

export type AnalysisTimings = FaceAnalysis['timings'];

/**
 * What health and metrics need to see of the face engine, apart from the analyses themselves: a
 * port of its own, so that neither reaches into the worker pool nor can start an analysis.
 */
export abstract class EngineStatus {
  /** The backend the nets run on (onnx, wasm, tensorflow). */
  abstract get backend(): string;

  abstract get load(): EngineLoad;

  /** Calls `listener` with the stage timings of every analysis that finishes. */
  abstract onTimings(listener: (timings: AnalysisTimings) => void): void;
}
