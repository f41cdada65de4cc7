import type { FaceBox } from '../common/face-box.js';
import type { FaceQuality } from '../face-engine/face-engine.types.js';

/** The longest file name the store keeps, in characters (code points). */
export const FILENAME_MAX_LENGTH = 1024;
/** The longest subject the store keeps, in characters (code points). */
export const SUBJECT_MAX_LENGTH = 100;

/** What the enrolled face measured: the detector's score, and the engine's quality measures. */
export interface EnrolledFaceQuality extends FaceQuality {
  score: number;
}

export interface NewReference {
  key: string;
  filename: string;
  subject: string | null;
  contentType: string;
  image: Buffer;
  embedding: Float32Array;
  box: FaceBox;
  quality: EnrolledFaceQuality;
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
  subject: string | null;
  contentType: string;
  sizeBytes: number;
  box: FaceBox;
  /** Null for references enrolled before it was measured. */
  quality: EnrolledFaceQuality | null;
  model: string;
  /** SHA-256 of the image bytes, hex; null for sealed images stored before it was kept. */
  imageSha256: string | null;
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
  subject: string | null;
}

export interface ReferencePageRequest {
  /** All of them when undefined. */
  limit?: number;
  offset: number;
  subject?: string;
}

export interface ReferencePage {
  /** How many references match, over all pages. */
  total: number;
  items: ReferenceListItem[];
}

export interface SubjectCount {
  subject: string;
  references: number;
}

/** Which model made a reference's embedding, with its place in id order. */
export interface ReferenceModel {
  id: number;
  key: string;
  model: string;
}

/**
 * Port for the reference endpoints' reads and writes (`ReferencesService`);
 * `TypeOrmReferenceStore` is the adapter. Every write also logs the change for
 * `ReferenceChangeFeed`.
 */
export abstract class ReferenceStore {
  /**
   * Stores image, embedding and metadata together with an entry in the change log, or nothing at
   * all: nothing either when `signal` has aborted by the time the rows are written (checked last
   * thing before the commit). Returns the reference's id.
   */
  abstract insert(reference: NewReference, signal?: AbortSignal): Promise<number>;
  abstract findEmbedding(key: string): Promise<StoredEmbedding | null>;
  /** Every reference of `subject`, oldest first; none when no reference carries it. */
  abstract findSubjectEmbeddings(subject: string): Promise<StoredEmbedding[]>;
  abstract findMetadata(key: string): Promise<ReferenceMetadata | null>;
  abstract readImage(key: string): Promise<StoredImage | null>;
  /** References oldest first, optionally of one subject, a page at a time. */
  abstract list(page: ReferencePageRequest): Promise<ReferencePage>;
  /** Every subject with its number of references, by name. */
  abstract subjects(): Promise<SubjectCount[]>;
  /** Removes the reference with its image and logs the change; its id, or null when there was none. */
  abstract delete(key: string): Promise<number | null>;
}

/**
 * Port for the re-embedding's walk over the references (`ReembedService`): their models in id
 * order, each one's photo, and a new embedding for it. `TypeOrmReferenceStore` is the adapter.
 */
export abstract class ReembedStore {
  abstract readImage(key: string): Promise<StoredImage | null>;
  /**
   * Gives the reference a new embedding, face box and model, and logs the change, provided it
   * still exists with the model `from` (not deleted or re-embedded meanwhile); whether it did.
   */
  abstract replaceEmbedding(
    key: string,
    from: string,
    embedding: { embedding: Float32Array; box: FaceBox; model: string },
  ): Promise<boolean>;
  /** References with an id above `afterId`, in id order, at most `limit`. */
  abstract modelsAfter(afterId: number, limit: number): Promise<ReferenceModel[]>;
}

/** Port for the one figure metrics read from the store. `TypeOrmReferenceStore` is the adapter. */
export abstract class ReferenceCount {
  /** How many references are stored. */
  abstract count(): Promise<number>;
}
