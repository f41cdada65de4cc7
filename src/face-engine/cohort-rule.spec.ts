import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cohortDistanceThreshold, cohortMean, cohortScore } from './cohort-rule.js';

const near = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} is not ${expected}`);

describe('the cohort rule', () => {
  const rule = { cohort: 3, weight: 0.5 };

  it('should average the cohort nearest distances, whatever their order', () => {
    near(cohortMean([0.4, 0.1, 0.3, 0.2, 0.05], 3), (0.05 + 0.1 + 0.2) / 3);
  });

  it('should average all the distances of a gallery smaller than the cohort', () => {
    near(cohortMean([0.2, 0.1], 3), 0.15);
    near(cohortMean([0.2], 5), 0.2);
  });

  it('should refuse an empty gallery or an empty cohort', () => {
    assert.throws(() => cohortMean([], 3), RangeError);
    assert.throws(() => cohortMean([0.1], 0), RangeError);
  });

  it('should take the weighted cohort mean off a distance', () => {
    near(cohortScore(0.04, 0.1, rule), -0.01);
  });

  it('should make a face near many people need to come closer than a distinctive face', () => {
    // The same distance to the nearest person: the crowded face's cohort is near, its score higher.
    const crowded = cohortMean([0.04, 0.05, 0.05, 0.06], rule.cohort);
    const distinctive = cohortMean([0.04, 0.2, 0.25, 0.3], rule.cohort);
    assert.ok(cohortScore(0.04, crowded, rule) > cohortScore(0.04, distinctive, rule));
  });

  it('should give the distance threshold a score threshold stands for, and back', () => {
    const threshold = cohortDistanceThreshold(0.01, 0.08, rule);
    near(threshold, 0.05);
    near(cohortScore(threshold, 0.08, rule), 0.01);
  });
});
