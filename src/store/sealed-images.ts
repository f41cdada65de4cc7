/** One stored image's bytes as they are in the store, and the key of the reference it is of. */
export interface SealedImage {
  bytes: Buffer;
  /** The envelope binds the image to it: opening and sealing need it. */
  referenceKey: string;
}

/** What re-sealing one image made of it: new bytes to store, or null to leave the row alone. */
export interface Resealed<T> {
  bytes: Buffer | null;
  outcome: T;
}

/**
 * Port for the reencrypt command's walk over the stored images, row by row. `TypeOrmSealedImages`
 * is the adapter.
 */
export abstract class SealedImages {
  /** The reference ids of up to `limit` stored images after `after`, ascending. */
  abstract idsAfter(after: number, limit: number): Promise<number[]>;

  /**
   * Reads one image, and writes back the bytes `reseal` returns, in one write transaction of the
   * store's that holds the row meanwhile, as every other write does: a concurrent upload or
   * delete waits, or is waited for. Null when the image is gone.
   */
  abstract reseal<T>(
    referenceId: number,
    reseal: (image: SealedImage) => Resealed<T>,
  ): Promise<T | null>;
}
