import type { EnrolledFaceQuality } from '../store/reference-store.js';
import type { SubjectMetadata } from './subject-metadata.js';

/** One of a person's references, as `GET /subjects/{subject}` lists them. */
export interface SubjectReference {
  key: string;
  filename: string;
  createdAt: Date;
  /** Null for references enrolled before it was measured. */
  quality: EnrolledFaceQuality | null;
}

/**
 * Port for a person's reads and writes (`SubjectsService`); `TypeOrmSubjectStore` is the adapter.
 * A person is a subject within a collection, and exists while at least one reference of the
 * collection carries it.
 */
export abstract class SubjectStore {
  /** The person's references, oldest first; none when nobody carries the subject. */
  abstract references(collection: string, subject: string): Promise<SubjectReference[]>;
  /** The metadata stored for each of `subjects` that has any. */
  abstract metadata(collection: string, subjects: string[]): Promise<Map<string, SubjectMetadata>>;
  /**
   * Replaces the person's metadata, provided a reference still carries the subject when it is
   * written (checked in the same transaction); whether it was.
   */
  abstract saveMetadata(
    collection: string,
    subject: string,
    metadata: SubjectMetadata,
  ): Promise<boolean>;
  /**
   * Erases the person in one transaction: every reference with its photo and embedding, the
   * metadata, and the change log entries of those references, replaced by one delete entry each
   * so that other replicas drop them. How many references were erased.
   */
  abstract erase(collection: string, subject: string): Promise<number>;
}
