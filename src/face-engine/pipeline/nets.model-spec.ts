import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { wasmFaceApi } from '../../../test/support/wasm-face-api.js';
import { withMirrors } from './nets.js';

describe('withMirrors', () => {
  it('should follow each chip with its mirror image, as tf.reverse(chip, 1) makes it', async () => {
    const { tf } = await wasmFaceApi();
    const side = 5;
    const chips = [
      Uint8Array.from({ length: side * side * 3 }, (_, index) => (index * 37) % 256),
      Float32Array.from({ length: side * side * 3 }, (_, index) => index / 7),
    ];
    const views = withMirrors(chips, side);
    assert.equal(views.length, 4);
    for (const [index, chip] of chips.entries()) {
      const tensor = tf.tensor3d(Float32Array.from(chip), [side, side, 3]);
      const mirror = tf.reverse(tensor, 1);
      assert.deepEqual(views[2 * index], Float32Array.from(chip));
      assert.deepEqual(views[2 * index + 1], await mirror.data());
      tf.dispose([tensor, mirror]);
    }
  });
});
