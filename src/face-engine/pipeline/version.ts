/**
 * The version of the pipeline in this folder (decoding, detection, embedding). It changes whenever
 * a change here moves embeddings, and every reference stores it (`FaceAnalyser.model`), so that a
 * reference made by another pipeline is refused rather than compared.
 */
export const PIPELINE_VERSION = 6;
