import type { FaceAnalysis } from './face-engine.types.js';
import type { FaceSelection } from './face-selection.js';

/**
 * What the services need of the face engine: a photo analysed, the name of the model its
 * embeddings come from, and how many analyses it runs at once. A port (an abstract class, so that
 * it is also Nest's injection token): services never depend on how inference runs, and tests hand
 * them a fake that extends it.
 */
export abstract class FaceAnalyser {
  /**
   * Decodes the image, finds its faces and returns those `selection` keeps, with box, quality and
   * embedding, and how many were found. Throws `InvalidImageError` when the bytes are not a
   * readable image, and the engine's errors (busy, queue timeout, inference timeout, worker
   * failure) when it cannot analyse it now.
   */
  abstract analyze(image: Buffer, selection: FaceSelection): Promise<FaceAnalysis>;

  /** Names the weights and pipeline that produce embeddings; stored with every reference. */
  abstract get model(): string;

  /** How many analyses run at once: a batch job keeps this many in flight. */
  abstract get workers(): number;
}
