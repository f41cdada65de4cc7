import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cosineDistance } from './cosine-distance.js';
import { centroid, personDistance } from './person-rule.js';

const near = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} is not ${expected}`);

describe('personDistance', () => {
  const probe = [1, 0, 0];
  // Distances 0, 1 and 2 from the probe, and one of a longer vector in the probe's direction.
  const same = [3, 0, 0];
  const orthogonal = [0, 1, 0];
  const opposite = [-1, 0, 0];

  it('should be the one distance whatever the rule for a single reference', () => {
    for (const rule of ['closest', 'mean2', 'mean', 'centroid'] as const) {
      near(personDistance(probe, [orthogonal], rule), 1);
    }
  });

  it('should take the nearest, the mean of the two nearest, or the mean of all', () => {
    const references = [opposite, orthogonal, same];
    near(personDistance(probe, references, 'closest'), 0);
    near(personDistance(probe, references, 'mean2'), 0.5);
    near(personDistance(probe, references, 'mean'), 1);
  });

  it('should measure the centroid of unit embeddings, a long one counting no more', () => {
    // The unit mean of [1,0,0] (from [3,0,0]) and [0,1,0] points at 45 degrees.
    near(personDistance(probe, [same, orthogonal], 'centroid'), 1 - Math.SQRT1_2);
    near(cosineDistance(centroid([same, orthogonal]), [1, 1, 0]), 0);
  });

  it('should refuse a person without references or a zero embedding', () => {
    assert.throws(() => personDistance(probe, [], 'closest'), RangeError);
    assert.throws(() => centroid([[0, 0, 0]]), RangeError);
  });
});
