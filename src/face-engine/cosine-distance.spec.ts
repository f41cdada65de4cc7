import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cosineDistance } from './cosine-distance.js';

describe('cosineDistance', () => {
  it('should be 0 for vectors pointing the same way, whatever their length', () => {
    assert.ok(Math.abs(cosineDistance([1, 2, 3], [2, 4, 6])) < 1e-12);
  });

  it('should be 1 for orthogonal and 2 for opposite vectors', () => {
    assert.equal(cosineDistance([1, 0], [0, 5]), 1);
    assert.equal(cosineDistance([1, 1], [-1, -1]), 2);
  });

  it('should match the textbook formula on arbitrary vectors', () => {
    const a = Float32Array.from([0.1, -0.4, 0.25, 0.9]);
    const b = Float32Array.from([-0.3, 0.2, 0.5, 0.7]);
    const dot = 0.1 * -0.3 + -0.4 * 0.2 + 0.25 * 0.5 + 0.9 * 0.7;
    const norms = Math.hypot(0.1, -0.4, 0.25, 0.9) * Math.hypot(-0.3, 0.2, 0.5, 0.7);
    assert.ok(Math.abs(cosineDistance(a, b) - (1 - dot / norms)) < 1e-6);
  });

  it('should refuse embeddings of different lengths or a zero vector', () => {
    assert.throws(() => cosineDistance([1, 2], [1, 2, 3]), RangeError);
    assert.throws(() => cosineDistance([0, 0], [1, 2]), RangeError);
  });
});
