import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cosineDistance } from './cosine-distance.js';
import {
  embeddingDimension,
  faceModelName,
  fuseEmbeddings,
  FUSION_WEIGHTS,
} from './face-models.js';

/** A vector of `length` values from a seed, not normalised. */
function vector(length: number, seed: number): Float32Array {
  return Float32Array.from({ length }, (_, index) => Math.sin(seed * 12.9898 + index * 78.233) * 3);
}

describe('fuseEmbeddings', () => {
  it("should make the cosine distance the weighted sum of the two models' distances", () => {
    const [d1, d2, m1, m2] = [vector(128, 1), vector(128, 2), vector(192, 3), vector(192, 4)];
    const fused = cosineDistance(fuseEmbeddings(d1, m1), fuseEmbeddings(d2, m2));
    const expected =
      FUSION_WEIGHTS.dlib ** 2 * cosineDistance(d1, d2) +
      FUSION_WEIGHTS.mobilefacenet ** 2 * cosineDistance(m1, m2);
    assert.ok(Math.abs(fused - expected) < 1e-6, `${fused} against ${expected}`);
  });

  it('should give a unit vector of both lengths together', () => {
    const fused = fuseEmbeddings(vector(128, 5), vector(192, 6));
    assert.equal(fused.length, embeddingDimension('fusion'));
    assert.ok(Math.abs(Math.hypot(...fused) - 1) < 1e-6);
    assert.ok(Math.abs(FUSION_WEIGHTS.dlib ** 2 + FUSION_WEIGHTS.mobilefacenet ** 2 - 1) < 1e-12);
  });
});

describe('faceModelName', () => {
  const sums = { dlib: 'b413e420d684aaaa', mobilefacenet: 'd8ba40c0127fbbbb' };

  it("should keep dlib's name as every stored reference has it", () => {
    assert.equal(faceModelName('dlib', sums, 6), 'face-api/face_recognition_model@b413e420d684+p6');
  });

  it('should name the weights of each model, so that no two models share a name', () => {
    const names = (['dlib', 'mobilefacenet', 'fusion'] as const).map((model) =>
      faceModelName(model, sums, 6),
    );
    assert.equal(new Set(names).size, 3);
    assert.equal(names[1], 'MobileFaceNet@d8ba40c0127f+p6');
    assert.match(names[2], /b413e420d684.*d8ba40c0127f/);
    // The references table's model column holds 100 characters.
    assert.ok(names.every((name) => name.length <= 100));
  });
});
