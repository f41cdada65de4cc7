import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { median, percentile, round } from './statistics.js';

describe('bench statistics', () => {
  it('should take the nearest-rank percentile of unsorted samples', () => {
    const samples = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    assert.equal(percentile(samples, 50), 5);
    assert.equal(percentile(samples, 95), 10);
    assert.equal(percentile(samples, 10), 1);
    assert.equal(percentile([42], 99), 42);
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  it('should take the median of the finite values only', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([Number.NaN, 7, Number.POSITIVE_INFINITY]), 7);
    assert.ok(Number.isNaN(median([])));
  });

  it('should keep one decimal below 100 and none above', () => {
    assert.equal(round(12.345), 12.3);
    assert.equal(round(1234.5), 1235);
    assert.equal(round(0.04567, 3), 0.046);
  });
});
