import {
  DatabaseUnavailableError,
  DomainError,
  isDatabaseUnavailable,
  isStorageFull,
  OperationFailedError,
  StorageFullError,
} from './errors.js';

/**
 * Runs `work`, letting domain errors through, turning a full store into `StorageFullError` and a
 * lost database into `DatabaseUnavailableError`, and wrapping anything else with the operation it
 * broke.
 */
export async function asOperation<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    if (isStorageFull(error)) throw new StorageFullError(error);
    if (isDatabaseUnavailable(error)) throw new DatabaseUnavailableError(error);
    throw new OperationFailedError(operation, error);
  }
}
