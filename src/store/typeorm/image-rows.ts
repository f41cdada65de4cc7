import type { EntityManager, QueryRunner } from 'typeorm';
import { ReferenceImageEntity } from './reference-image.entity.js';
import { isMysql } from '../dialect.js';

/** Both take the bytes, then the reference id. */
const STATEMENTS = {
  insert: 'INSERT INTO reference_images (bytes, reference_id) VALUES (?, ?)',
  update: 'UPDATE reference_images SET bytes = ? WHERE reference_id = ?',
} as const;

/**
 * Stores the image row of a new reference (`insert`) or rewrites its bytes (`update`). MySQL gets
 * the bytes as a binary parameter of a prepared statement: TypeORM's text protocol sends them as a
 * hex literal, twice their size, so an upload well under max_allowed_packet could overflow it.
 */
export async function writeImage(
  manager: EntityManager,
  write: keyof typeof STATEMENTS,
  referenceId: number,
  bytes: Buffer,
): Promise<void> {
  const runner: QueryRunner | undefined = isMysql(manager.connection)
    ? manager.queryRunner
    : undefined;
  if (runner) {
    const connection = (await runner.connect()) as PreparedStatements;
    await new Promise<void>((resolve, reject) => {
      connection.execute(STATEMENTS[write], [bytes, referenceId], (error) =>
        error ? reject(error) : resolve(),
      );
    });
  } else if (write === 'insert') {
    await manager.getRepository(ReferenceImageEntity).insert({ referenceId, bytes });
  } else {
    await manager.getRepository(ReferenceImageEntity).update({ referenceId }, { bytes });
  }
}

/** The part of mysql2's callback connection that TypeORM's query runner holds. */
interface PreparedStatements {
  execute(sql: string, values: unknown[], callback: (error: Error | null) => void): void;
}
