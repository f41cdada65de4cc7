import {
  In,
  QueryFailedError,
  type DataSource,
  type FindOptionsOrder,
  type FindOptionsSelect,
  type FindOptionsWhere,
  type ObjectLiteral,
  type Repository,
  type SelectQueryBuilder,
} from 'typeorm';

/**
 * What differs between the two databases the store runs on, named in one place: the rest of the
 * store asks these helpers rather than reading the driver's type itself, so that a third
 * database, or a change of driver, is one file's edit.
 */

/** TypeORM's driver for MySQL and MariaDB alike. */
export const MYSQL_DRIVER = 'mysql' as const;
/** TypeORM's driver for SQLite: one connection, in this process. */
export const SQLITE_DRIVER = 'better-sqlite3' as const;

type Connected = Pick<DataSource, 'options'>;

/** MySQL or MariaDB: a connection per transaction, row locks, `max_allowed_packet`. */
export function isMysql(dataSource: Connected): boolean {
  return dataSource.options.type === MYSQL_DRIVER;
}

/** SQLite: one connection, on which transactions must take turns (`runTransaction`). */
export function isSqlite(dataSource: Connected): boolean {
  return dataSource.options.type === SQLITE_DRIVER;
}

/**
 * Makes `query` lock the rows it reads until its transaction ends, where the database has row
 * locks (MySQL/MariaDB). SQLite has none and needs none: `runTransaction` lets one transaction
 * at a time run there, which serialises every write of the store already.
 */
export function lockForWrite<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
): SelectQueryBuilder<T> {
  return isMysql(query.connection) ? query.setLock('pessimistic_write') : query;
}

/**
 * Deletes at most `limit` rows matching `where`, the first by `order`; how many. The ids are read
 * first: MySQL takes no LIMIT in a subquery of a DELETE, and SQLite none in DELETE itself. `where`
 * is asked again of the delete, so that a row changed in between is left alone.
 */
export async function deleteBatch<T extends ObjectLiteral & { id: number }>(
  repository: Repository<T>,
  where: FindOptionsWhere<T>,
  order: FindOptionsOrder<T>,
  limit: number,
): Promise<number> {
  const rows = await repository.find({
    select: { id: true } as FindOptionsSelect<T>,
    where,
    order,
    take: limit,
  });
  if (rows.length === 0) return 0;
  await repository.delete({ ...where, id: In(rows.map((row) => row.id)) });
  return rows.length;
}

/** MySQL/MariaDB's and SQLite's refusal of a second row under a unique or primary key. */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = (error.driverError as { code?: unknown } | undefined)?.code;
  return (
    code === 'ER_DUP_ENTRY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
