import type { FaceBox } from '../face-engine/face-engine.types.js';

export interface NewReference {
  key: string;
  filename: string;
  contentType: string;
  image: Buffer;
  embedding: Float32Array;
  box: FaceBox;
  model: string;
}

/** What a comparison needs of a stored reference: no image bytes. */
export interface StoredEmbedding {
  key: string;
  embedding: Float32Array;
  box: FaceBox;
  model: string;
}

/** Everything stored about a reference but its bytes and embedding. */
export interface ReferenceMetadata {
  key: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  box: FaceBox;
  model: string;
  createdAt: Date;
}

export interface StoredImage {
  contentType: string;
  filename: string;
  bytes: Buffer;
}

export interface ReferenceListItem {
  key: string;
  filename: string;
}

/** Port for the reference store; `TypeOrmReferenceStore` is the adapter. */
export abstract class ReferenceStore {
  /**
   * Stores image, embedding and metadata together, or nothing at all: nothing either when `signal`
   * has aborted by the time the rows are written (checked last thing before the commit).
   */
  abstract insert(reference: NewReference, signal?: AbortSignal): Promise<void>;
  abstract findEmbedding(key: string): Promise<StoredEmbedding | null>;
  abstract findMetadata(key: string): Promise<ReferenceMetadata | null>;
  abstract readImage(key: string): Promise<StoredImage | null>;
  /** All references, oldest first. */
  abstract list(): Promise<ReferenceListItem[]>;
  /** Removes the reference with its image; false when there was none. */
  abstract delete(key: string): Promise<boolean>;
}
