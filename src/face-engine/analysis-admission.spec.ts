import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  EngineBusyError,
  EngineQueueTimeoutError,
  EngineWorkerFailedError,
  InferenceTimeoutError,
} from '../common/errors.js';
import { AnalysisAdmission, type AdmissionLimits } from './analysis-admission.js';
import type { AnalysisControl } from './analysis-control.js';

/** A task on the fake pool: the test decides when and how it ends. */
interface FakeTask {
  control: AnalysisControl;
  signal: AbortSignal;
  finish(value: string): void;
  fail(error: Error): void;
}

/** A pool whose tasks run until the test ends them, recording what admission handed it. */
class FakePool {
  readonly tasks: FakeTask[] = [];
  start = (control: AnalysisControl, signal: AbortSignal): Promise<string> =>
    new Promise((resolve, reject) => {
      this.tasks.push({ control, signal, finish: resolve, fail: reject });
      // As Piscina does: an aborted task rejects, its thread terminated.
      signal.addEventListener('abort', () => reject(new Error('The task has been aborted')));
    });
}

const LIMITS: AdmissionLimits = {
  workers: 1,
  queueLimit: 1,
  queueTimeoutMs: 1000,
  timeoutMs: 1000,
  stopGraceMs: 50,
};

function admissionOver(limits: Partial<AdmissionLimits> = {}) {
  const logged: string[] = [];
  const log = (message: string) => void logged.push(message);
  const admission = new AnalysisAdmission({ ...LIMITS, ...limits }, { warn: log, error: log });
  return { admission, pool: new FakePool(), logged };
}

/** Lets the microtasks that hand a task over (or give a slot back) run. */
const settle = () => sleep(1);

describe('AnalysisAdmission', () => {
  it('should run one analysis per worker, queue the next, and refuse beyond the queue limit', async () => {
    const { admission, pool } = admissionOver();
    const first = admission.run(pool.start);
    const second = admission.run(pool.start);
    await settle();
    assert.equal(pool.tasks.length, 1, 'the second waits for the worker');
    assert.deepEqual(admission.load, { queued: 1, running: 1 });
    await assert.rejects(admission.run(pool.start), EngineBusyError);
    pool.tasks[0].finish('one');
    assert.equal(await first, 'one');
    await settle();
    assert.equal(pool.tasks.length, 2, 'the freed slot went to the waiting analysis');
    pool.tasks[1].finish('two');
    assert.equal(await second, 'two');
    await settle();
    assert.deepEqual(admission.load, { queued: 0, running: 0 });
  });

  it('should answer EngineQueueTimeoutError when no worker came free in time, and count it no more', async () => {
    const { admission, pool } = admissionOver({ queueTimeoutMs: 30 });
    const first = admission.run(pool.start);
    await assert.rejects(admission.run(pool.start), (error: EngineQueueTimeoutError) => {
      assert.ok(error instanceof EngineQueueTimeoutError);
      return true;
    });
    assert.equal(pool.tasks.length, 1, 'the timed-out analysis never reached the pool');
    assert.deepEqual(admission.load, { queued: 0, running: 1 });
    pool.tasks[0].finish('done');
    await first;
  });

  it('should time out a slow analysis, cancel it, and keep its worker taken until it ends', async () => {
    const { admission, pool, logged } = admissionOver({ timeoutMs: 30 });
    const slow = admission.run(pool.start);
    await assert.rejects(slow, InferenceTimeoutError);
    const [task] = pool.tasks;
    assert.ok(task.control.cancelled, 'asked to stop at its next net');
    assert.equal(task.signal.aborted, false, 'not terminated within the grace period');
    assert.deepEqual(admission.load, { queued: 0, running: 1 }, 'the worker is still busy');
    // It reaches its next net and ends (with AnalysisCancelledError, in the real worker).
    task.fail(new Error('Analysis cancelled'));
    await settle();
    assert.deepEqual(admission.load, { queued: 0, running: 0 });
    assert.equal(task.signal.aborted, false);
    assert.deepEqual(logged, []);
  });

  it('should terminate the thread of a timed-out analysis that does not stop within the grace period', async () => {
    const { admission, pool, logged } = admissionOver({ timeoutMs: 20, stopGraceMs: 20 });
    await assert.rejects(admission.run(pool.start), InferenceTimeoutError);
    await sleep(80);
    assert.equal(pool.tasks[0].signal.aborted, true);
    assert.match(logged[0], /did not reach its next net within 20 ms; terminating its worker/);
    await settle();
    assert.deepEqual(admission.load, { queued: 0, running: 0 }, 'the slot came back');
  });

  it("should answer EngineWorkerFailedError when the analysis's thread dies", async () => {
    const { admission, pool, logged } = admissionOver();
    const analysis = admission.run(pool.start);
    await settle();
    pool.tasks[0].fail(new Error('worker exited with code: 1'));
    await assert.rejects(analysis, EngineWorkerFailedError);
    assert.match(logged[0], /worker died during an analysis/);
    await settle();
    assert.deepEqual(admission.load, { queued: 0, running: 0 });
  });

  it('should pass on an error the analysis itself threw', async () => {
    const { admission, pool } = admissionOver();
    const analysis = admission.run(pool.start);
    await settle();
    const thrown = new RangeError('a bug in a stage');
    pool.tasks[0].fail(thrown);
    await assert.rejects(analysis, (error) => error === thrown);
  });

  it('should stop every running analysis on stopAll, which then fails as a worker failure', async () => {
    const { admission, pool } = admissionOver({ workers: 2 });
    const analyses = [admission.run(pool.start), admission.run(pool.start)];
    await settle();
    await admission.stopAll();
    assert.ok(pool.tasks.every((task) => task.control.cancelled));
    for (const task of pool.tasks) task.fail(new Error('Analysis cancelled'));
    for (const analysis of analyses) await assert.rejects(analysis, EngineWorkerFailedError);
  });
});
