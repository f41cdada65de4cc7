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
  collection: string;
  key: string;
  model: string;
}

/**
 * Port for the reference endpoints' reads and writes (`ReferencesService`);
 * `TypeOrmReferenceStore` is the adapter. Every write also logs the change for
 * `ReferenceChangeFeed`. Every method works in one collection: a key or subject of another is
 * not found, exactly as one that nobody holds.
 */
export abstract class ReferenceStore {
  /**
   * Stores image, embedding and metadata together with an entry in the change log, or nothing at
   * all: nothing either when `signal` has aborted by the time the rows are written (checked last
   * thing before the commit), and CollectionNotFoundError when the collection is gone. Returns
   * the reference's id.
   */
  abstract insert(
    collection: string,
    reference: NewReference,
    signal?: AbortSignal,
  ): Promise<number>;
  abstract findEmbedding(collection: string, key: string): Promise<StoredEmbedding | null>;
  /** Every reference of `subject`, oldest first; none when no reference carries it. */
  abstract findSubjectEmbeddings(collection: string, subject: string): Promise<StoredEmbedding[]>;
  abstract findMetadata(collection: string, key: string): Promise<ReferenceMetadata | null>;
  abstract readImage(collection: string, key: string): Promise<StoredImage | null>;
  /** References oldest first, optionally of one subject, a page at a time. */
  abstract list(collection: string, page: ReferencePageRequest): Promise<ReferencePage>;
  /** Every subject with its number of references, by name. */
  abstract subjects(collection: string): Promise<SubjectCount[]>;
  /** Removes the reference with its image and logs the change; its id, or null when there was none. */
  abstract delete(collection: string, key: string): Promise<number | null>;
}

/**
 * Port for the re-embedding's walk over the references (`ReembedService`): their models in id
 * order, each one's photo, and a new embedding for it. `TypeOrmReferenceStore` is the adapter.
 */
export abstract class ReembedStore {
  abstract readImage(collection: string, key: string): Promise<StoredImage | null>;
  /**
   * Gives the reference a new embedding, face box and model, and logs the change, provided it
   * still exists with the model `from` (not deleted or re-embedded meanwhile); whether it did.
   */
  abstract replaceEmbedding(
    collection: string,
    key: string,
    from: string,
    embedding: { embedding: Float32Array; box: FaceBox; model: string },
  ): Promise<boolean>;
  /** References of every collection with an id above `afterId`, in id order, at most `limit`. */
  abstract modelsAfter(afterId: number, limit: number): Promise<ReferenceModel[]>;
}

/** Port for the figures metrics read from the store. `TypeOrmReferenceStore` is the adapter. */
export abstract class ReferenceCount {
  /** How many references are stored, in every collection. */
  abstract count(): Promise<number>;
  /** How many references each collection holds; a collection without any is absent. */
  abstract countByCollection(): Promise<Map<string, number>>;
}
