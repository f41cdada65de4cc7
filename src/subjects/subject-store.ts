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
 * A person exists while at least one reference carries their subject.
 */
export abstract class SubjectStore {
  /** The person's references, oldest first; none when nobody carries the subject. */
  abstract references(subject: string): Promise<SubjectReference[]>;
  /** The metadata stored for each of `subjects` that has any. */
  abstract metadata(subjects: string[]): Promise<Map<string, SubjectMetadata>>;
  /**
   * Replaces the person's metadata, provided a reference still carries the subject when it is
   * written (checked in the same transaction); whether it was.
   */
  abstract saveMetadata(subject: string, metadata: SubjectMetadata): Promise<boolean>;
  /**
   * Erases the person in one transaction: every reference with its photo and embedding, the
   * metadata, and the change log entries of those references, replaced by one delete entry each
   * so that other replicas drop them. How many references were erased.
   */
  abstract erase(subject: string): Promise<number>;
}
