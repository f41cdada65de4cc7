import { Mutex } from 'async-mutex';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';
import { isSqlite } from './dialect.js';

/** What TypeORM's better-sqlite3 driver holds: SQLite's one connection and its one query runner. */
interface SqliteDriver {
  databaseConnection: { inTransaction: boolean; exec(sql: string): unknown };
  queryRunner?: { isTransactionActive: boolean };
}

/**
 * One lock per SQLite data source. TypeORM runs SQLite on a single connection, and a transaction
 * holds it across awaits: a second one begun meanwhile would fail with "cannot start a transaction
 * within a transaction", so transactions on SQLite take turns. MySQL/MariaDB give each
 * transaction a connection of its own.
 */
const sqliteLocks = new WeakMap<DataSource, Mutex>();

function lockOf(dataSource: DataSource): Mutex {
  let lock = sqliteLocks.get(dataSource);
  if (!lock) {
    lock = new Mutex();
    sqliteLocks.set(dataSource, lock);
  }
  return lock;
}

/** What a write changed, as its participants may need to record it. */
export interface WriteTouch {
  referenceKeys: string[];
  subjects: string[];
  /**
   * The write erased a person, or a whole collection: whatever else names them (or anyone in the
   * collection) must go or be made anonymous.
   */
  erasure?: 'person' | 'collection';
  /** The collection written, where it is not the request's own (the collections' routes). */
  collection?: string;
}

/**
 * Something a request must commit together with its write or not at all: the answer of an
 * idempotent request, so that a crash between the commit and the answer still leaves the answer
 * for the retry; the audit entry of the write, so that no write goes unrecorded and no entry
 * records a write that did not happen.
 */
export interface WriteParticipant {
  /** Runs inside the write's transaction, after its rows; throwing rolls the write back. */
  join(manager: EntityManager, touch: WriteTouch): Promise<void>;
}

/** A request may carry several (its audit entry's, its idempotency key's), outermost first. */
const participants = new AsyncLocalStorage<readonly WriteParticipant[]>();

/** Runs `work` with `participant` joining the transactions of the writes it makes. */
export function withWriteParticipant<T>(participant: WriteParticipant, work: () => T): T {
  return participants.run([...(participants.getStore() ?? []), participant], work);
}

/**
 * Called by a write once it has changed rows, last before its commit: the participants of the
 * request on whose behalf it runs, if any, write their rows into the same transaction, in the
 * order they were entered.
 */
export async function joinParticipants(
  manager: EntityManager,
  touch: WriteTouch = { referenceKeys: [], subjects: [] },
): Promise<void> {
  for (const participant of participants.getStore() ?? []) await participant.join(manager, touch);
}

/** SQLite's connection says a transaction is open where none of ours is. */
export class SqliteTransactionStateError extends Error {
  constructor() {
    super('SQLite was still inside a transaction after a commit; the write was rolled back');
  }
}

/** Runs `work` in one transaction of `dataSource`: every write of the store goes through here. */
export function runTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  if (!isSqlite(dataSource)) return dataSource.transaction(work);
  const driver = dataSource.driver as unknown as SqliteDriver;
  return lockOf(dataSource).runExclusive(async () => {
    let result: T;
    try {
      result = await dataSource.transaction(work);
    } catch (error) {
      settle(driver);
      throw error;
    }
    // Committed means out of every transaction; anything else would be lost with the connection.
    if (driver.databaseConnection.inTransaction) {
      settle(driver);
      throw new SqliteTransactionStateError();
    }
    return result;
  });
}

/**
 * After a failed transaction SQLite's own state decides. A COMMIT refused for lack of space makes
 * SQLite roll the whole transaction back itself; TypeORM's ROLLBACK then fails, and its query
 * runner, SQLite's only one, goes on believing a transaction is open, so that every later
 * transaction would become a savepoint inside it and never be committed. A transaction SQLite
 * still has open is rolled back, and a runner that disagrees with SQLite is dropped: the driver
 * makes a fresh one on its next query.
 */
function settle(driver: SqliteDriver): void {
  if (driver.databaseConnection.inTransaction) driver.databaseConnection.exec('ROLLBACK');
  if (driver.queryRunner?.isTransactionActive) driver.queryRunner = undefined;
}
