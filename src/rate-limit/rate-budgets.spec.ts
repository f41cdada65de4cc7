import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateBudgets, type Budget } from './rate-budgets.js';

const MINUTE_MS = 60_000;
const general: Budget = { name: 'default', limit: 4, windowMs: MINUTE_MS };
const inference: Budget = { name: 'inference', limit: 2, windowMs: MINUTE_MS };

/** Whether each of `count` requests at `now` was admitted. */
function spendMany(budgets: RateBudgets, count: number, within: Budget[], now: number): boolean[] {
  return Array.from({ length: count }, () => budgets.spend('198.51.100.1', within, now).admitted);
}

describe('RateBudgets', () => {
  it('should admit a client up to its limit in any window, then say when the next one fits', () => {
    const budgets = new RateBudgets();
    assert.deepEqual(spendMany(budgets, 3, [general], 0), [true, true, true]);
    assert.equal(budgets.spend('198.51.100.1', [general], 20_000).admitted, true);
    const refused = budgets.spend('198.51.100.1', [general], 30_000);
    assert.deepEqual(refused, { admitted: false, refusedBy: [general], retryAfterSeconds: 30 });
    // The first three leave the window a minute after they came; the fourth 20 s later.
    assert.deepEqual(spendMany(budgets, 4, [general], MINUTE_MS), [true, true, true, false]);
    assert.equal(budgets.spend('198.51.100.2', [general], MINUTE_MS).admitted, true);
  });

  it('should not spend the general budget on a request the inference budget refuses', () => {
    const budgets = new RateBudgets();
    assert.deepEqual(spendMany(budgets, 5, [general, inference], 0), [
      true,
      true,
      false,
      false,
      false,
    ]);
    assert.deepEqual(spendMany(budgets, 3, [general], 0), [true, true, false]);
  });

  it('should not spend the inference budget on a request the general budget refuses', () => {
    const budgets = new RateBudgets();
    assert.deepEqual(spendMany(budgets, 4, [general], 0), [true, true, true, true]);
    const refused = budgets.spend('198.51.100.1', [general, inference], 1000);
    assert.equal(refused.admitted, false);
    assert.deepEqual(!refused.admitted && refused.refusedBy, [general]);
    // Once the general budget has room, the inference budget is still whole.
    assert.deepEqual(spendMany(budgets, 3, [general, inference], MINUTE_MS), [true, true, false]);
  });

  it('should give the retry time of the budget that frees last when both refuse', () => {
    const budgets = new RateBudgets();
    spendMany(budgets, 2, [general], 0);
    spendMany(budgets, 2, [general, inference], 30_000);
    const refused = budgets.spend('198.51.100.1', [general, inference], 50_000);
    assert.equal(!refused.admitted && refused.refusedBy.length, 2);
    // The general budget has room again at 60 s, the inference one at 90 s.
    assert.equal(!refused.admitted && refused.retryAfterSeconds, 40);
  });

  it('should tell an admitted request what is left and when the window resets', () => {
    const budgets = new RateBudgets();
    budgets.spend('198.51.100.1', [general], 0);
    const admitted = budgets.spend('198.51.100.1', [general, inference], 15_000);
    assert.deepEqual(admitted.admitted && admitted.states, [
      { budget: general, remaining: 2, resetSeconds: 45 },
      { budget: inference, remaining: 1, resetSeconds: 60 },
    ]);
  });

  it('should keep counting right through a long run of requests', () => {
    const budgets = new RateBudgets();
    const busy: Budget = { name: 'busy', limit: 100, windowMs: 1000 };
    let admitted = 0;
    for (let now = 0; now < 10_000; now += 5) {
      if (budgets.spend('198.51.100.1', [busy], now).admitted) admitted++;
    }
    // 200 requests a second offered, 100 a second admitted: 10 s, 1000 requests.
    assert.equal(admitted, 1000);
  });
});
