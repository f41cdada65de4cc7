import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nonMaxSuppression, overlap } from './non-max-suppression.js';

/** Boxes as SSD gives them: [ymin, xmin, ymax, xmax] per box, flat. */
const boxes = Float32Array.from(
  [
    [0, 0, 1, 1], // 0
    [0, 0.1, 1, 1.1], // 1: overlaps 0 by 0.82
    [0, 0.6, 1, 1.6], // 2: overlaps 0 by 0.25
    [2, 2, 3, 3], // 3: apart
    [2, 2, 2, 3], // 4: no area
  ].flat(),
);

describe('nonMaxSuppression', () => {
  it('should keep the best box of each overlapping group, best first', () => {
    const scores = [0.9, 0.95, 0.6, 0.7, 0.99];
    assert.deepEqual(nonMaxSuppression(boxes, scores, 100, 0.5, 0.5), [4, 1, 3, 2]);
  });

  it('should drop boxes at or below the score threshold', () => {
    const scores = [0.9, 0.3, 0.5, 0.7, 0.2];
    assert.deepEqual(nonMaxSuppression(boxes, scores, 100, 0.5, 0.5), [0, 3]);
  });

  it('should keep equal scores in index order and stop at the output size', () => {
    const scores = [0.8, 0.1, 0.8, 0.8, 0.1];
    assert.deepEqual(nonMaxSuppression(boxes, scores, 100, 0.5, 0.5), [0, 2, 3]);
    assert.deepEqual(nonMaxSuppression(boxes, scores, 2, 0.5, 0.5), [0, 2]);
  });

  it('should suppress a box that overlaps a kept one by more than the IoU threshold', () => {
    const scores = [0.9, 0.8, 0.7, 0.1, 0.1];
    assert.deepEqual(nonMaxSuppression(boxes, scores, 100, 0.2, 0.5), [0]);
  });
});

describe('overlap', () => {
  it('should give intersection over union, and 0 when a box has no area', () => {
    assert.equal(overlap(boxes, 0, 0), 1);
    assert.ok(Math.abs(overlap(boxes, 0, 1) - 0.9 / 1.1) < 1e-6);
    assert.equal(overlap(boxes, 0, 3), 0);
    assert.equal(overlap(boxes, 3, 4), 0);
  });
});
