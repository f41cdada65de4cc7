/**
 * The backend the end-to-end specs run on: `onnx`, the one `auto` picks here and about three times
 * the WebAssembly backend's speed, or TEST_FACE_BACKEND. The CLI's re-embedding and the bench's
 * smoke run stay on `wasm`, so that both backends are exercised end to end; the pipeline specs
 * compare their answers.
 */
export const TEST_FACE_BACKEND = process.env.TEST_FACE_BACKEND ?? 'onnx';
