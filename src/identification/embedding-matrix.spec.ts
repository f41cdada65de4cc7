import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cosineDistance } from '../face-engine/cosine-distance.js';
import { EmbeddingMatrix } from './embedding-matrix.js';

/** A deterministic pseudo-random vector (a linear congruential generator), values in -1..1. */
function vector(seed: number, dimension = 8): number[] {
  let state = seed * 7919 + 17;
  return Array.from({ length: dimension }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 30 - 1;
  });
}

const entry = (id: number) => ({ id, key: `k${id}`, filename: `${id}.jpg`, subject: null });

describe('EmbeddingMatrix', () => {
  it('should group every row with its unit vector, and keep the groups right after a removal', () => {
    const matrix = new EmbeddingMatrix(8, 2);
    const person = (id: number) => (id % 3 === 0 ? 'amy' : `k${id}`);
    for (let id = 0; id < 10; id++) matrix.add(entry(id), vector(id));
    matrix.remove(3);
    const groups = matrix.groups((row) => person(row.id));
    assert.deepEqual(
      groups.get('amy')!.entries.map((row) => row.id),
      [0, 9, 6],
    );
    assert.equal(groups.size, 7);
    for (const { entries, vectors } of groups.values()) {
      entries.forEach((row, index) => {
        assert.ok(cosineDistance(vectors[index], vector(row.id)) < 1e-6);
        assert.ok(Math.abs(Math.hypot(...vectors[index]) - 1) < 1e-6);
      });
    }
  });

  it('should find the same neighbours, at the same distances, as a brute-force cosine search', () => {
    const matrix = new EmbeddingMatrix(8, 2);
    const stored = Array.from({ length: 300 }, (_, id) => vector(id));
    stored.forEach((embedding, id) => matrix.add(entry(id), embedding));
    const query = vector(1000);
    const expected = stored
      .map((embedding, id) => ({ id, distance: cosineDistance(query, embedding) }))
      .sort((a, b) => a.distance - b.distance)
      .slice(0, 7);
    const found = matrix.nearest(query, 7);
    assert.deepEqual(
      found.map((n) => n.entry.id),
      expected.map((e) => e.id),
    );
    found.forEach((n, rank) => assert.ok(Math.abs(n.distance - expected[rank].distance) < 1e-5));
  });

  it('should return every row, closest first, when there are fewer than the limit', () => {
    const matrix = new EmbeddingMatrix(2);
    matrix.add(entry(1), [0, 1]);
    matrix.add(entry(2), [1, 0]);
    const found = matrix.nearest([1, 0.1], 5);
    assert.deepEqual(
      found.map((n) => n.entry.id),
      [2, 1],
    );
    assert.equal(matrix.nearest([1, 0], 5)[0].distance, 0);
  });

  it('should forget removed rows and keep the others searchable', () => {
    const matrix = new EmbeddingMatrix(2);
    matrix.add(entry(1), [1, 0]);
    matrix.add(entry(2), [0, 1]);
    matrix.add(entry(3), [-1, 0]);
    assert.equal(matrix.remove(1), true);
    assert.equal(matrix.remove(1), false);
    assert.equal(matrix.size, 2);
    assert.equal(matrix.has(1), false);
    // Row 3 moved into row 1's place: it must still be found with its own vector.
    assert.equal(matrix.nearest([-1, 0], 1)[0].entry.id, 3);
    assert.equal(matrix.nearest([0, 1], 1)[0].entry.id, 2);
  });

  it('should replace a row added twice rather than hold it twice', () => {
    const matrix = new EmbeddingMatrix(2);
    matrix.add(entry(1), [1, 0]);
    matrix.add({ ...entry(1), subject: 'amy' }, [0, 1]);
    assert.equal(matrix.size, 1);
    const [only] = matrix.nearest([0, 1], 3);
    assert.equal(only.entry.subject, 'amy');
    assert.equal(only.distance, 0);
  });

  it('should refuse vectors of the wrong length or zero length', () => {
    const matrix = new EmbeddingMatrix(2);
    assert.throws(() => matrix.add(entry(1), [1, 0, 0]), RangeError);
    assert.throws(() => matrix.add(entry(1), [0, 0]), RangeError);
    assert.throws(() => matrix.nearest([1], 1), RangeError);
  });
});
