import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { embeddingFromBytes, embeddingToBytes } from './typeorm-reference.store.js';

describe('embedding serialisation', () => {
  it('should store 4 little-endian bytes per value and read them back exactly', () => {
    const embedding = Float32Array.from({ length: 128 }, (_, index) => Math.sin(index) / 3);
    const bytes = embeddingToBytes(embedding);
    assert.equal(bytes.length, 512);
    assert.equal(bytes.readFloatLE(4), embedding[1]);
    assert.deepEqual(embeddingFromBytes(bytes), embedding);
  });
});
