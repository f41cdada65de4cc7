import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseVariants } from './variants.js';

describe('bench variants', () => {
  it('should read a backend, or a backend with workers x onnxruntime threads', () => {
    assert.deepEqual(parseVariants('onnx,wasm,onnx@1x2'), [
      { label: 'onnx', env: { FACE_BACKEND: 'onnx' } },
      { label: 'wasm', env: { FACE_BACKEND: 'wasm' } },
      {
        label: 'onnx@1x2',
        env: { FACE_BACKEND: 'onnx', FACE_WORKERS: '1', FACE_ONNX_THREADS: '2' },
      },
    ]);
  });

  it('should refuse an entry it cannot read', () => {
    assert.throws(() => parseVariants('onnx@2'), /not BACKEND or BACKEND@WORKERSxTHREADS/);
  });
});
