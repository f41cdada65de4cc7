import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { OnnxModelFiles } from './onnx-models.js';

const require = createRequire(import.meta.url);

/** Whether onnxruntime-node is installed (an optional dependency); nothing is loaded. */
export function onnxRuntimeInstalled(): boolean {
  try {
    require.resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
}

const isInputType = (flag: string) => flag.startsWith('--input-type');

/**
 * The process's flags, inherited as usual (undefined), except that a process started with
 * `node --input-type=module -e` would pass that flag on, which a worker given a file refuses. The
 * list is given only then: Node refuses a per-process flag given to a worker explicitly (npm
 * start's `--max-semi-space-size`), where it ignores it when inherited.
 */
function workerExecArgv(): string[] | undefined {
  if (!process.execArgv.some(isInputType)) return undefined;
  return process.execArgv.filter((flag) => !isInputType(flag));
}

/**
 * The ONNX models in `modelsDir`, built from its weights first where one is missing or altered
 * (and MobileFaceNet's from `mobileFaceNetTflite` where given): in a worker thread of its own,
 * which exits when done.
 */
export async function prepareOnnxModels(
  modelsDir: string,
  mobileFaceNetTflite?: string,
): Promise<{ files: OnnxModelFiles; built: boolean }> {
  const file = fileURLToPath(new URL('./build-worker.js', import.meta.url));
  if (!existsSync(file)) throw new Error(`ONNX model builder not found at ${file}; run the build`);
  const worker = new Worker(file, {
    workerData: { modelsDir, mobileFaceNetTflite },
    execArgv: workerExecArgv(),
  });
  return new Promise((resolve, reject) => {
    let result: { files: OnnxModelFiles; built: boolean } | undefined;
    worker.once('message', (message: { files: OnnxModelFiles; built: boolean }) => {
      result = message;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`The ONNX model builder exited with code ${code} and no models`));
    });
  });
}
