/**
 * Stopping an analysis that runs too long, without killing the process. A worker thread may be
 * terminated at any point of its JavaScript, but not while onnxruntime-node runs a net: the
 * binding then throws into a thread that is going away and the whole process aborts. So the
 * engine and the worker share two cells per analysis: `cancel`, which the worker checks before
 * every net, and `state`, a handshake that lets the engine terminate the thread only once it is
 * outside the nets and will not enter them again.
 */
import type { FaceNets } from './pipeline/nets.js';

const CANCEL = 0;
const STATE = 1;

/** The worker runs JavaScript: it may be terminated at this point. */
const OUTSIDE = 0;
/** The worker is inside a net's native code: terminating it now would abort the process. */
const IN_NET = 1;
/** The engine owns the thread: the worker enters no net again and may be terminated. */
const STOPPED = 2;

/** Thrown in the worker when the analysis was cancelled: it ends at the next net instead. */
export class AnalysisCancelledError extends Error {
  constructor() {
    super('Analysis cancelled');
    this.name = 'AnalysisCancelledError';
  }
}

export class AnalysisControl {
  private readonly cells: Int32Array;

  /** A new control (engine side), or the worker's view of one it was sent (`buffer`). */
  constructor(readonly buffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)) {
    this.cells = new Int32Array(buffer);
  }

  /** Asks the worker to end the analysis at its next net. */
  cancel(): void {
    Atomics.store(this.cells, CANCEL, 1);
  }

  get cancelled(): boolean {
    return Atomics.load(this.cells, CANCEL) === 1;
  }

  /**
   * Resolves once the worker is outside the nets and will not enter one again, so that its thread
   * can be terminated safely; waits for a net that is running to return (tens to hundreds of ms).
   */
  async stop(): Promise<void> {
    this.cancel();
    while (Atomics.compareExchange(this.cells, STATE, OUTSIDE, STOPPED) === IN_NET) {
      const { async, value } = Atomics.waitAsync(this.cells, STATE, IN_NET, 1000);
      if (async) await value;
    }
  }

  /** Worker side: runs `net` unless the analysis was cancelled or stopped. */
  async inNet<T>(net: () => Promise<T>): Promise<T> {
    if (this.cancelled) throw new AnalysisCancelledError();
    if (Atomics.compareExchange(this.cells, STATE, OUTSIDE, IN_NET) !== OUTSIDE) {
      throw new AnalysisCancelledError();
    }
    try {
      return await net();
    } finally {
      Atomics.store(this.cells, STATE, OUTSIDE);
      Atomics.notify(this.cells, STATE);
    }
  }
}

/** `nets`, each call made through `control` so that a cancelled analysis ends at the next one. */
export function controlledNets(nets: FaceNets, control: AnalysisControl): FaceNets {
  return {
    detect: (input, frame) => control.inNet(() => nets.detect(input, frame)),
    landmarks: (crop) => control.inNet(() => nets.landmarks(crop)),
    describe: (chips) => control.inNet(() => nets.describe(chips)),
    ...(nets.mobileFaceNet && {
      mobileFaceNet: (chips: ArrayLike<number>[]) =>
        control.inNet(() => nets.mobileFaceNet!(chips)),
    }),
  };
}
