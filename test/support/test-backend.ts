/**
 * The backend the end-to-end specs run on: `wasm`, the one `auto` picks where tfjs-node is not
 * installed, or TEST_FACE_BACKEND (`TEST_FACE_BACKEND=onnx npm run test:e2e`: the onnx backend
 * is about three times as fast). The pipeline specs check that both give the same boxes and
 * embeddings.
 */
export const TEST_FACE_BACKEND = process.env.TEST_FACE_BACKEND ?? 'wasm';
