import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../common/project-root.js';
import { AnalysisCancelledError, AnalysisControl } from './analysis-control.js';
import { onnxRuntimeInstalled, prepareOnnxModels } from './onnx/prepare-onnx-models.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A net that answers `value` at once. */
const net =
  <T>(value: T) =>
  () =>
    Promise.resolve(value);

describe('AnalysisControl', () => {
  it('should run nets until cancelled, then refuse the next one', async () => {
    const control = new AnalysisControl();
    assert.equal(await control.inNet(net(7)), 7);
    control.cancel();
    await assert.rejects(control.inNet(net(8)), AnalysisCancelledError);
  });

  it('should be shared with a view made from its buffer, as a worker makes it', async () => {
    const engineSide = new AnalysisControl();
    const workerSide = new AnalysisControl(engineSide.buffer);
    engineSide.cancel();
    assert.equal(workerSide.cancelled, true);
    await assert.rejects(workerSide.inNet(net(1)), AnalysisCancelledError);
  });

  it('should stop only once the net that runs has returned, and let no other start', async () => {
    const control = new AnalysisControl();
    const events: string[] = [];
    const running = control.inNet(async () => {
      await sleep(50);
      events.push('net returned');
    });
    await sleep(5);
    await control.stop();
    events.push('stopped');
    await running;
    assert.deepEqual(events, ['net returned', 'stopped']);
    await assert.rejects(
      control.inNet(() => Promise.resolve(events.push('ran after stop'))),
      AnalysisCancelledError,
    );
    assert.deepEqual(events, ['net returned', 'stopped']);
  });

  it('should stop at once when no net runs, and then let none start', async () => {
    const control = new AnalysisControl();
    await control.stop();
    await assert.rejects(control.inNet(net(1)), AnalysisCancelledError);
  });
});

/**
 * A worker thread that runs onnxruntime's detector in a loop through an AnalysisControl, and a
 * main thread that stops it and terminates the thread mid-loop. Run in a child process: without
 * the handshake the termination lands inside a net and aborts the process ("terminate called
 * after throwing an instance of 'Napi::Error'").
 */
const TERMINATE_SCRIPT = `
import { Worker } from 'node:worker_threads';
const [controlModule, model, anchors] = process.argv.slice(1);
const { AnalysisControl } = await import(controlModule);
const control = new AnalysisControl();
const worker = new Worker(
  \`
  import { readFileSync } from 'node:fs';
  import { createRequire } from 'node:module';
  import { parentPort, workerData } from 'node:worker_threads';
  const ort = createRequire(workerData.controlModule)('onnxruntime-node');
  const { AnalysisControl } = await import(workerData.controlModule);
  const control = new AnalysisControl(workerData.buffer);
  const session = await ort.InferenceSession.create(workerData.model, { intraOpNumThreads: 1 });
  const frame = new ort.Tensor('float32', new Float32Array(512 * 512 * 3), [1, 512, 512, 3]);
  const shipped = new Float32Array(readFileSync(workerData.anchors).buffer);
  const anchors = new ort.Tensor('float32', shipped, [shipped.length / 4, 4]);
  parentPort.postMessage('running');
  try {
    for (;;) await control.inNet(() => session.run({ frame, anchors }));
  } catch (error) {
    if (error.name !== 'AnalysisCancelledError') throw error;
  }
  // Stopped: the thread stays alive, in JavaScript, until it is terminated.
  setInterval(() => undefined, 1000);
  \`,
  { eval: true, workerData: { controlModule, model, anchors, buffer: control.buffer } },
);
worker.on('message', async (message) => {
  if (message !== 'running') return;
  await new Promise((resolve) => setTimeout(resolve, 200));
  await control.stop();
  await worker.terminate();
  console.log('terminated');
});
`;

describe(
  'a worker running onnxruntime, stopped then terminated',
  { skip: !onnxRuntimeInstalled() && 'no onnxruntime-node' },
  () => {
    let files: { ssd: string; ssdAnchors: string };

    before(async () => {
      ({ files } = await prepareOnnxModels(join(projectRoot(), 'models')));
    });

    it('should end without taking the process down', () => {
      const controlModule = new URL('./analysis-control.js', import.meta.url).href;
      const run = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', TERMINATE_SCRIPT, controlModule, files.ssd, files.ssdAnchors],
        { encoding: 'utf8', cwd: fileURLToPath(new URL('.', import.meta.url)), timeout: 60_000 },
      );
      assert.equal(run.signal, null, run.stderr);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout.trim(), 'terminated');
    });
  },
);
