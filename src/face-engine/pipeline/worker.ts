/**
 * Runs in a Piscina worker thread: loads TensorFlow.js and the face-api models once, then decodes,
 * detects and embeds images sent by `WorkerPoolFaceEngine`. The HTTP thread never touches a tensor.
 */
import { workerData } from 'piscina';
import type {
  FaceAnalysis,
  UndecodableImage,
  WorkerInfo,
  WorkerOptions,
  WorkerTask,
} from '../face-engine.types.js';
import { AnalysisControl, controlledNets } from '../analysis-control.js';
import { analyze } from './analyze.js';
import { startBackend } from './backend.js';
import { loadModels } from './models.js';

async function initialise(): Promise<
  (task: WorkerTask) => Promise<FaceAnalysis | UndecodableImage | WorkerInfo>
> {
  const options = workerData as WorkerOptions;
  const engine = await loadModels(await startBackend(options), options);
  return async (task) => {
    if (task.kind === 'info') {
      const runtime = engine.onnxRuntime
        ? `onnxruntime-node ${engine.onnxRuntime.env.versions.node}`
        : `tfjs ${engine.tf.version_core}`;
      return { backend: engine.backend, runtime };
    }
    const nets = controlledNets(engine.nets, new AnalysisControl(task.control));
    return analyze({ ...engine, nets }, options, task.image, task.selection);
  };
}

// Piscina awaits an exported promise for the handler, so models load once per thread, up front.
export default initialise();
