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

/**
 * The ONNX models in `modelsDir`, built from its weights first where one is missing or altered:
 * in a worker thread of its own, which exits when done.
 */
export async function prepareOnnxModels(
  modelsDir: string,
): Promise<{ files: OnnxModelFiles; built: boolean }> {
  const file = fileURLToPath(new URL('./build-worker.js', import.meta.url));
  if (!existsSync(file)) throw new Error(`ONNX model builder not found at ${file}; run the build`);
  const worker = new Worker(file, {
    workerData: { modelsDir },
    // A process started with `node --input-type=module -e` passes that flag on, and a worker
    // given a file refuses it.
    execArgv: process.execArgv.filter((flag) => !flag.startsWith('--input-type')),
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
