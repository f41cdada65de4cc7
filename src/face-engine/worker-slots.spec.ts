import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SlotWaitTimeoutError, WorkerSlots } from './worker-slots.js';

describe('WorkerSlots', () => {
  it('should grant free slots at once and queue the rest, first come first served', async () => {
    const slots = new WorkerSlots(1);
    const releaseFirst = await slots.acquire(1000);
    const order: number[] = [];
    const second = slots.acquire(1000).then((release) => (order.push(2), release));
    const third = slots.acquire(1000).then((release) => (order.push(3), release));
    assert.equal(slots.queued, 2);
    releaseFirst();
    (await second)();
    (await third)();
    assert.deepEqual(order, [2, 3]);
    assert.equal(slots.queued, 0);
    // Every slot is free again: two acquisitions in a row, no wait.
    const again = await slots.acquire(1);
    again();
    again();
    (await slots.acquire(1))();
  });

  it('should reject a waiter after its timeout, and leave the queue to the others', async () => {
    const slots = new WorkerSlots(1);
    const release = await slots.acquire(1000);
    const started = performance.now();
    const impatient = slots.acquire(50);
    const patient = slots.acquire(2000);
    await assert.rejects(impatient, (error: SlotWaitTimeoutError) => error.waitedMs === 50);
    assert.ok(performance.now() - started >= 45);
    assert.equal(slots.queued, 1);
    await sleep(10);
    release();
    (await patient)();
    assert.equal(slots.queued, 0);
  });
});
