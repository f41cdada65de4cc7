import type { EnrolledPhoto } from '../store/enrolled-photos.js';

/** A photo read and hashed, ready to send. */
export interface PhotoUpload {
  filename: string;
  subject: string | null;
  bytes: Buffer;
  /** SHA-256 of `bytes`, hex. */
  sha256: string;
}

export type EnrolAnswer =
  | { outcome: 'enrolled'; key: string }
  /** The service's reason, as its `detail` says it. */
  | { outcome: 'refused'; reason: string };

/**
 * The photo could not be judged now (the service busy, the database or the connection briefly
 * gone): worth sending again after `seconds`. `connection` says the target itself is out of
 * reach, which stops the whole run when retries do not help, rather than refusing every photo.
 */
export class RetryLater extends Error {
  constructor(
    reason: string,
    readonly seconds: number,
    readonly connection = false,
  ) {
    super(reason);
  }
}

/** Nothing more can be enrolled (the target unreachable, the API key refused): stop the run. */
export class EnrolmentAborted extends Error {}

/**
 * Port for where bulk enrolment sends its photos: the configured database through the service's
 * own modules, or a running service's HTTP API.
 */
export abstract class EnrolmentTarget {
  /** Where the photos go, for the first line of output. */
  abstract readonly description: string;
  /**
   * Checks that photos can be enrolled there now (reachable, ready, the schema current), or
   * throws EnrolmentAborted saying why; returns the face engine's workers there, which sets how
   * many photos are worth having in flight.
   */
  abstract connect(): Promise<{ workers: number }>;
  /** The references already holding any of these photos (matched by digest and subject). */
  abstract enrolled(photos: Pick<PhotoUpload, 'sha256' | 'subject'>[]): Promise<EnrolledPhoto[]>;
  /** Throws RetryLater or EnrolmentAborted; any other failure refuses the photo. */
  abstract enrol(photo: PhotoUpload): Promise<EnrolAnswer>;
}
