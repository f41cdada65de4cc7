import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { AppConfig } from '../config/app-config.js';
import type { FaceBackendSetting } from '../config/environment.js';
import { InvalidImageError } from '../common/errors.js';
import { projectRoot } from '../common/project-root.js';
import type {
  FaceAnalysis,
  UndecodableImage,
  WorkerInfo,
  WorkerOptions,
  WorkerTask,
} from './face-engine.types.js';
import { AnalysisAdmission } from './analysis-admission.js';
import { AnalysisControl } from './analysis-control.js';
import type { EngineLoad, EngineStatus } from './engine-status.js';
import { FaceAnalyser } from './face-analyser.js';
import type { FaceSelection } from './face-selection.js';
import { faceModelName } from './face-models.js';
import { RECOGNITION_WEIGHTS, verifyModelFiles } from './model-files.js';
import { locateMobileFaceNet, verifyMobileFaceNet } from './onnx/mobilefacenet-model.js';
import type { OnnxModelFiles } from './onnx/onnx-models.js';
import { onnxRuntimeInstalled, prepareOnnxModels } from './onnx/prepare-onnx-models.js';
import { PIPELINE_VERSION } from './pipeline/version.js';

/** A timed-out analysis is cancelled at its next net; its thread is terminated after this long. */
const STOP_GRACE_MS = 2000;

const WARM_UP_SELECTION: FaceSelection = { kind: 'largest', max: 1 };

/** A real one-face photo (provenance in assets/README.md) analysed by every worker at start. */
const WARM_UP_IMAGE = join(projectRoot(), 'assets', 'warmup-face.jpg');

/**
 * Face detection and embedding, run in a pool of worker threads (one per core by default) so that
 * inference never blocks the HTTP thread. The one implementation of both engine ports
 * (FaceEngineModule binds them to it); nothing outside face-engine/ names this class.
 */
@Injectable()
export class WorkerPoolFaceEngine
  extends FaceAnalyser
  implements EngineStatus, OnModuleInit, OnModuleDestroy
{
  private readonly logger = new Logger('FaceEngine');
  private pool?: Piscina;
  private readonly admission: AnalysisAdmission;
  private info?: WorkerInfo;
  private recognitionModel?: string;
  private readonly timingListeners: ((timings: FaceAnalysis['timings']) => void)[] = [];

  constructor(private readonly config: AppConfig) {
    super();
    const env = config.env;
    this.admission = new AnalysisAdmission(
      {
        workers: env.FACE_WORKERS,
        queueLimit: env.FACE_QUEUE_LIMIT,
        queueTimeoutMs: env.FACE_QUEUE_TIMEOUT_MS,
        timeoutMs: env.INFERENCE_TIMEOUT_MS,
        stopGraceMs: STOP_GRACE_MS,
      },
      this.logger,
    );
  }

  async onModuleInit(): Promise<void> {
    const {
      MODELS_DIR,
      FACE_BACKEND,
      FACE_MODEL,
      MOBILEFACENET_TFLITE,
      FACE_WORKERS,
      FACE_WORKER_NICE,
      FACE_ONNX_THREADS,
      FACE_MIN_CONFIDENCE,
      FACE_DETECTOR_SIZE,
      MAX_IMAGE_PIXELS,
    } = this.config.env;
    const models = await verifyModelFiles(MODELS_DIR);
    // Before any worker starts: a model that cannot run stops the service with what to do.
    let mobileFaceNet: { path: string; sha256: string } | undefined;
    if (FACE_MODEL !== 'dlib') {
      const path = locateMobileFaceNet(MOBILEFACENET_TFLITE, FACE_MODEL);
      mobileFaceNet = { path, sha256: await verifyMobileFaceNet(path) };
      if (FACE_BACKEND === 'auto' && !onnxRuntimeInstalled()) {
        throw new Error(
          `FACE_MODEL=${FACE_MODEL} runs on onnxruntime-node, which is not installed (an optional dependency)`,
        );
      }
    }
    this.recognitionModel = faceModelName(
      FACE_MODEL,
      { dlib: models.sha256[RECOGNITION_WEIGHTS], mobilefacenet: mobileFaceNet?.sha256 },
      PIPELINE_VERSION,
    );

    const workerData: WorkerOptions = {
      backend: FACE_BACKEND,
      faceModel: FACE_MODEL,
      modelsDir: MODELS_DIR,
      minConfidence: FACE_MIN_CONFIDENCE,
      detectorSize: FACE_DETECTOR_SIZE,
      maxImagePixels: MAX_IMAGE_PIXELS,
      onnxThreads: FACE_ONNX_THREADS,
      onnxModels: await this.onnxModels(FACE_BACKEND, MODELS_DIR, mobileFaceNet?.path),
    };
    this.pool = new Piscina({
      filename: workerFile(),
      minThreads: FACE_WORKERS,
      maxThreads: FACE_WORKERS,
      idleTimeout: Number.POSITIVE_INFINITY,
      // Through @napi-rs/nice (Piscina's optional dependency); a no-op where it is missing.
      niceIncrement: FACE_WORKER_NICE,
      workerData,
    });
    // A worker that dies outside a task (failed start, crash) is reported here, not as an
    // uncaught exception; the task it held, if any, rejects on its own.
    this.pool.on('error', (error: unknown) => {
      this.logger.error(`Face engine worker failed: ${String(error)}`);
    });
    const started = performance.now();
    let warmUpMs: number;
    try {
      this.info = (await this.pool.run({ kind: 'info' } satisfies WorkerTask)) as WorkerInfo;
      warmUpMs = await this.warmUp(this.pool, FACE_WORKERS);
    } catch (error) {
      // A worker that cannot load its backend or models would be respawned forever: stop here.
      await this.onModuleDestroy();
      throw error;
    }
    this.logger.log(
      `Face engine ready: backend=${this.info.backend} (FACE_BACKEND=${FACE_BACKEND}), FACE_MODEL=${FACE_MODEL}, ` +
        `${this.info.runtime}, ${FACE_WORKERS} worker(s) at nice +${FACE_WORKER_NICE}, model ${this.recognitionModel}, ` +
        `started in ${Math.round(performance.now() - started)} ms ` +
        `(warm-up analysis ${Math.round(warmUpMs)} ms)`,
    );
  }

  /**
   * The ONNX models for FACE_BACKEND onnx, or auto where onnxruntime-node is installed, built on
   * the first start (MobileFaceNet's from `mobileFaceNetTflite` where FACE_MODEL needs it). auto
   * goes on without them (to tfjs) when they cannot be built, say in a read-only models folder,
   * unless FACE_MODEL needs them; onnx stops there.
   */
  private async onnxModels(
    backend: FaceBackendSetting,
    modelsDir: string,
    mobileFaceNetTflite?: string,
  ): Promise<OnnxModelFiles | undefined> {
    if (backend !== 'onnx' && !(backend === 'auto' && onnxRuntimeInstalled())) return undefined;
    const started = performance.now();
    try {
      const { files, built } = await prepareOnnxModels(modelsDir, mobileFaceNetTflite);
      if (built) {
        this.logger.log(
          `ONNX models built from the weights in ${modelsDir} in ${Math.round(performance.now() - started)} ms`,
        );
      }
      return files;
    } catch (error) {
      if (backend === 'onnx' || mobileFaceNetTflite) {
        throw new Error(
          `FACE_BACKEND=${backend}${mobileFaceNetTflite ? ` with FACE_MODEL=${this.config.env.FACE_MODEL}` : ''} ` +
            `but the ONNX models could not be built: ${String(error)}`,
        );
      }
      this.logger.warn(`ONNX models unavailable, so not the onnx backend: ${String(error)}`);
      return undefined;
    }
  }

  /**
   * One real analysis per worker before the service listens: the first inference on a thread
   * compiles and allocates what every later one reuses, and would otherwise land on the first
   * client. The initial workers all count as ready at once and each takes one task at a time, so
   * `workers` tasks sent together go one to each worker. Returns the slowest one's milliseconds.
   */
  private async warmUp(pool: Piscina, workers: number): Promise<number> {
    const image = await readFile(WARM_UP_IMAGE);
    const started = performance.now();
    const results = await Promise.all(
      Array.from(
        { length: workers },
        () =>
          pool.run({
            kind: 'analyze',
            image,
            selection: WARM_UP_SELECTION,
            control: new AnalysisControl().buffer,
          } satisfies WorkerTask) as Promise<FaceAnalysis | UndecodableImage>,
      ),
    );
    for (const result of results) {
      if ('undecodable' in result || result.faces.length !== 1) {
        throw new Error(`Warm-up analysis of ${WARM_UP_IMAGE} did not find its one face`);
      }
    }
    return performance.now() - started;
  }

  async onModuleDestroy(): Promise<void> {
    // Terminating a thread inside an onnxruntime net aborts the process: each analysis still
    // running is stopped at its next net first.
    await this.admission.stopAll();
    await this.pool?.destroy();
    this.pool = undefined;
  }

  /** Size of the worker pool: how many analyses run at once. */
  get workers(): number {
    return this.config.env.FACE_WORKERS;
  }

  /** The backend the workers run their nets on. */
  get backend(): string {
    return this.requireStarted().info.backend;
  }

  /** Names the weights and pipeline that produce embeddings; stored with every reference. */
  get model(): string {
    return this.requireStarted().model;
  }

  /** Analyses waiting for a free worker, and analyses running on one. */
  get load(): EngineLoad {
    return this.admission.load;
  }

  /** Calls `listener` with the stage timings of every analysis that finishes (metrics). */
  onTimings(listener: (timings: FaceAnalysis['timings']) => void): void {
    this.timingListeners.push(listener);
  }

  /**
   * Decodes the image, finds its faces and returns those `selection` keeps, with box, quality and
   * embedding, and how many were found. Throws `InvalidImageError` when the bytes are not a
   * readable image; admission (analysis-admission.ts) throws the rest.
   */
  async analyze(image: Buffer, selection: FaceSelection): Promise<FaceAnalysis> {
    const { pool } = this.requireStarted();
    const result = await this.admission.run(
      (control, signal) =>
        pool.run(
          { kind: 'analyze', image, selection, control: control.buffer } satisfies WorkerTask,
          { signal },
        ) as Promise<FaceAnalysis | UndecodableImage>,
    );
    if ('undecodable' in result) {
      throw new InvalidImageError(
        result.tooManyPixels ? this.config.env.MAX_IMAGE_PIXELS : undefined,
      );
    }
    for (const listener of this.timingListeners) listener(result.timings);
    return result;
  }

  private requireStarted(): { pool: Piscina; info: WorkerInfo; model: string } {
    if (!this.pool || !this.info || !this.recognitionModel) {
      throw new Error('The face engine was used before it started');
    }
    return { pool: this.pool, info: this.info, model: this.recognitionModel };
  }
}

function workerFile(): string {
  const file = fileURLToPath(new URL('./pipeline/worker.js', import.meta.url));
  if (!existsSync(file)) throw new Error(`Face engine worker not found at ${file}; run the build`);
  return file;
}
