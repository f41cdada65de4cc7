import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { AppConfig } from '../config/app-config.js';
import type { FaceBackendSetting } from '../config/environment.js';
import {
  EngineBusyError,
  EngineQueueTimeoutError,
  EngineWorkerFailedError,
  InferenceTimeoutError,
  InvalidImageError,
} from '../common/errors.js';
import { projectRoot } from '../common/project-root.js';
import { TIMED_OUT, within } from '../common/within.js';
import type {
  FaceAnalysis,
  FaceSelection,
  UndecodableImage,
  WorkerInfo,
  WorkerOptions,
  WorkerTask,
} from './face-engine.types.js';
import { AnalysisControl } from './analysis-control.js';
import { RECOGNITION_WEIGHTS, verifyModelFiles } from './model-files.js';
import type { OnnxModelFiles } from './onnx/onnx-models.js';
import { onnxRuntimeInstalled, prepareOnnxModels } from './onnx/prepare-onnx-models.js';
import { PIPELINE_VERSION } from './pipeline/version.js';
import { SlotWaitTimeoutError, WorkerSlots } from './worker-slots.js';

/** A timed-out analysis is cancelled at its next net; its thread is terminated after this long. */
const STOP_GRACE_MS = 2000;

const WARM_UP_SELECTION: FaceSelection = { kind: 'largest', max: 1 };

/** A real one-face photo (provenance in assets/README.md) analysed by every worker at start. */
const WARM_UP_IMAGE = join(projectRoot(), 'assets', 'warmup-face.jpg');

/**
 * Face detection and embedding, run in a pool of worker threads (one per core by default) so that
 * inference never blocks the HTTP thread.
 */
@Injectable()
export class FaceEngine implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(FaceEngine.name);
  private pool?: Piscina;
  /** One per worker: an analysis is handed to the pool only when a worker is free for it. */
  private slots?: WorkerSlots;
  private info?: WorkerInfo;
  private recognitionModel?: string;
  /** Analyses running or waiting for a worker. */
  private inFlight = 0;
  /** The analyses on a worker right now, cancelled or not. */
  private readonly running = new Set<AnalysisControl>();
  private readonly timingListeners: ((timings: FaceAnalysis['timings']) => void)[] = [];

  constructor(private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    const {
      MODELS_DIR,
      FACE_BACKEND,
      FACE_WORKERS,
      FACE_WORKER_NICE,
      FACE_ONNX_THREADS,
      FACE_MIN_CONFIDENCE,
      FACE_DETECTOR_SIZE,
      MAX_IMAGE_PIXELS,
    } = this.config.env;
    const models = await verifyModelFiles(MODELS_DIR);
    this.recognitionModel =
      `face-api/face_recognition_model@${models.sha256[RECOGNITION_WEIGHTS].slice(0, 12)}` +
      `+p${PIPELINE_VERSION}`;

    const workerData: WorkerOptions = {
      backend: FACE_BACKEND,
      modelsDir: MODELS_DIR,
      minConfidence: FACE_MIN_CONFIDENCE,
      detectorSize: FACE_DETECTOR_SIZE,
      maxImagePixels: MAX_IMAGE_PIXELS,
      onnxThreads: FACE_ONNX_THREADS,
      onnxModels: await this.onnxModels(FACE_BACKEND, MODELS_DIR),
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
    this.slots = new WorkerSlots(FACE_WORKERS);
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
      `Face engine ready: backend=${this.info.backend} (FACE_BACKEND=${FACE_BACKEND}), ` +
        `${this.info.runtime}, ${FACE_WORKERS} worker(s) at nice +${FACE_WORKER_NICE}, model ${this.recognitionModel}, ` +
        `started in ${Math.round(performance.now() - started)} ms ` +
        `(warm-up analysis ${Math.round(warmUpMs)} ms)`,
    );
  }

  /**
   * The ONNX models for FACE_BACKEND onnx, or auto where onnxruntime-node is installed, built on
   * the first start. auto goes on without them (to tfjs) when they cannot be built, say in a
   * read-only models folder; onnx stops there.
   */
  private async onnxModels(
    backend: FaceBackendSetting,
    modelsDir: string,
  ): Promise<OnnxModelFiles | undefined> {
    if (backend !== 'onnx' && !(backend === 'auto' && onnxRuntimeInstalled())) return undefined;
    const started = performance.now();
    try {
      const { files, built } = await prepareOnnxModels(modelsDir);
      if (built) {
        this.logger.log(
          `ONNX models built from the weights in ${modelsDir} in ${Math.round(performance.now() - started)} ms`,
        );
      }
      return files;
    } catch (error) {
      if (backend === 'onnx') {
        throw new Error(
          `FACE_BACKEND=onnx but the ONNX models could not be built: ${String(error)}`,
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
    await Promise.all([...this.running].map((control) => control.stop()));
    await this.pool?.destroy();
    this.pool = undefined;
  }

  /**
   * Ends an analysis whose client was answered with a timeout: it is cancelled at its next net,
   * and its thread terminated (and replaced by the pool) only if it does not get there within
   * STOP_GRACE_MS, once it is safely outside the nets.
   */
  private async stopAnalysis(
    control: AnalysisControl,
    abort: AbortController,
    ended: Promise<void>,
  ): Promise<void> {
    control.cancel();
    if ((await within(ended, STOP_GRACE_MS)) !== TIMED_OUT) return;
    this.logger.warn(
      `A timed-out analysis did not reach its next net within ${STOP_GRACE_MS} ms; ` +
        'terminating its worker (the pool replaces it)',
    );
    await control.stop();
    abort.abort();
  }

  /** Analyses running or waiting for a worker right now. */
  get pending(): number {
    return this.inFlight;
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
  get load(): { queued: number; running: number } {
    const queued = this.slots?.queued ?? 0;
    return { queued, running: this.inFlight - queued };
  }

  /** Calls `listener` with the stage timings of every analysis that finishes (metrics). */
  onTimings(listener: (timings: FaceAnalysis['timings']) => void): void {
    this.timingListeners.push(listener);
  }

  /**
   * Decodes the image, finds its faces and returns those `selection` keeps, with box, quality and
   * embedding, and how many were found. Throws `InvalidImageError` when the bytes are not a
   * readable image.
   */
  async analyze(image: Buffer, selection: FaceSelection): Promise<FaceAnalysis> {
    const { pool, slots } = this.requireStarted();
    const {
      INFERENCE_TIMEOUT_MS: timeoutMs,
      FACE_QUEUE_TIMEOUT_MS,
      FACE_WORKERS,
      FACE_QUEUE_LIMIT,
    } = this.config.env;
    // Counted here rather than with Piscina's maxQueue, which did not refuse work in our tests.
    if (this.inFlight >= FACE_WORKERS + FACE_QUEUE_LIMIT) throw new EngineBusyError();
    this.inFlight++;
    let release: () => void;
    try {
      release = await slots.acquire(FACE_QUEUE_TIMEOUT_MS);
    } catch (error) {
      this.inFlight--;
      if (error instanceof SlotWaitTimeoutError) throw new EngineQueueTimeoutError(error.waitedMs);
      throw error;
    }
    const control = new AnalysisControl();
    const abort = new AbortController();
    const task = pool.run(
      { kind: 'analyze', image, selection, control: control.buffer } satisfies WorkerTask,
      { signal: abort.signal },
    ) as Promise<FaceAnalysis | UndecodableImage>;
    // The worker and its slot stay taken until the analysis has really ended, even when its
    // client was answered earlier (a timeout): the queue sees the capacity there is.
    this.running.add(control);
    const ended = task.then(
      () => undefined,
      () => undefined,
    );
    void ended.then(() => {
      this.running.delete(control);
      release();
      this.inFlight--;
    });
    let result: FaceAnalysis | UndecodableImage | typeof TIMED_OUT;
    try {
      // The timeout starts once a worker is free: time spent queued is not the image's fault.
      result = await within(task, timeoutMs);
    } catch (error) {
      if (isWorkerDeath(error)) {
        this.logger.error(
          `Face engine worker died during an analysis (${String(error)}); the pool replaces it`,
        );
        throw new EngineWorkerFailedError(error);
      }
      // Stopped from outside (a shutdown that could not wait): it ended without its answer.
      if (control.cancelled) throw new EngineWorkerFailedError(error);
      throw error;
    }
    if (result === TIMED_OUT) {
      void this.stopAnalysis(control, abort, ended);
      throw new InferenceTimeoutError(timeoutMs);
    }
    if ('undecodable' in result) {
      throw new InvalidImageError(
        result.tooManyPixels ? this.config.env.MAX_IMAGE_PIXELS : undefined,
      );
    }
    for (const listener of this.timingListeners) listener(result.timings);
    return result;
  }

  private requireStarted(): {
    pool: Piscina;
    slots: WorkerSlots;
    info: WorkerInfo;
    model: string;
  } {
    if (!this.pool || !this.slots || !this.info || !this.recognitionModel) {
      throw new Error('FaceEngine used before it started');
    }
    return { pool: this.pool, slots: this.slots, info: this.info, model: this.recognitionModel };
  }
}

/**
 * Whether a task failed because its thread died rather than because the task threw: Piscina
 * rejects the tasks of a thread that exits with "worker exited with code: N", and a thread over its
 * resource limits fails with ERR_WORKER_OUT_OF_MEMORY.
 */
function isWorkerDeath(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    /^worker exited with code/.test(error.message) ||
    (error as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY'
  );
}

function workerFile(): string {
  const file = fileURLToPath(new URL('./pipeline/worker.js', import.meta.url));
  if (!existsSync(file)) throw new Error(`Face engine worker not found at ${file}; run the build`);
  return file;
}
