/** A photo stored as a reference: its image digest, and the subject it was enrolled under. */
export interface EnrolledPhoto {
  sha256: string;
  subject: string | null;
}

/**
 * Port for bulk enrolment's one question to the store: which of these photos (by the SHA-256 of
 * their bytes) are already enrolled, and under which subjects. `TypeOrmEnrolledPhotos` is the
 * adapter.
 */
export abstract class EnrolledPhotos {
  /** Every reference of the collection whose image has one of `digests`, any number of digests. */
  abstract find(collection: string, digests: string[]): Promise<EnrolledPhoto[]>;
}
