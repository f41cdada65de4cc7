import { Column, Entity, PrimaryColumn, type EntityManager } from 'typeorm';
import { CollectionNotFoundError } from '../../common/errors.js';
import { DEFAULT_COLLECTION } from '../../collections/collection-name.js';
import { isMysql } from '../dialect.js';

/** One application's people: every reference, person and idempotency record belongs to one. */
@Entity({ name: 'collections' })
export class CollectionEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt!: Date;
}

/**
 * In a write's transaction, before its rows: the collection must still exist, and it stays until
 * the write commits. A shared lock on MySQL/MariaDB (writes into one collection do not wait for
 * each other; its erasure, which locks the row for update, waits for them and they for it); on
 * SQLite transactions take turns anyway. Without it, an upload racing `DELETE /collections`
 * could leave a reference in a collection that no longer exists.
 */
export async function holdCollection(manager: EntityManager, name: string): Promise<void> {
  // Never deleted (DefaultCollectionError): a write into it, as every one was before, costs nothing.
  if (name === DEFAULT_COLLECTION) return;
  const lock = isMysql(manager.connection) ? ' LOCK IN SHARE MODE' : '';
  const rows = await manager.query<unknown[]>(
    `SELECT name FROM collections WHERE name = ?${lock}`,
    [name],
  );
  if (rows.length === 0) throw new CollectionNotFoundError(name);
}
