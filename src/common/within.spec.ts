import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TIMED_OUT, within } from './within.js';

describe('within', () => {
  it('should answer the value, or the rejection, of a promise that settles in time', async () => {
    assert.equal(await within(Promise.resolve(7), 1000), 7);
    await assert.rejects(within(Promise.reject(new Error('failed')), 1000), /failed/);
  });

  it('should answer TIMED_OUT for one that does not, and not mind its later rejection', async () => {
    const late = sleep(50).then(() => {
      throw new Error('too late');
    });
    assert.equal(await within(late, 5), TIMED_OUT);
    await assert.rejects(late, /too late/);
  });
});
