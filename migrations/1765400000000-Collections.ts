import {
  Table,
  TableColumn,
  TableIndex,
  TableUnique,
  type MigrationInterface,
  type QueryRunner,
} from 'typeorm';

/** The collection every row made before collections existed moves into, and which always exists. */
const DEFAULT = 'default';

/**
 * Collections: one deployment, several applications, none seeing another's people. Every
 * reference (and through it its image and its digest), subject metadata entry, idempotency record
 * and change log entry gets the collection it belongs to; existing rows go to `default`, whose row
 * in `collections` is made here. Reference keys, subjects' metadata and idempotency keys become
 * unique per collection: a key another collection holds must answer as a key nobody holds.
 *
 * `down` refuses while any collection but `default` holds a reference or subject metadata: the
 * schema before could not keep them apart, so reverting would merge two applications' people into
 * one (and could meet the same subject twice). Erase those collections first
 * (`DELETE /collections/{name}`, which the audit trail records). Idempotency records of other
 * collections, cached answers only, are dropped by `down`, as are the collections' rows.
 */
export class Collections1765400000000 implements MigrationInterface {
  name = 'Collections1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    // Names are compared exactly: "Shop" and "shop" are two collections.
    const exact = mysql ? { charset: 'ascii', collation: 'ascii_bin' } : {};
    const collection = () =>
      new TableColumn({
        name: 'collection',
        type: 'varchar',
        length: '64',
        default: `'${DEFAULT}'`,
        ...exact,
      });

    await queryRunner.createTable(
      new Table({
        name: 'collections',
        columns: [
          { name: 'name', type: 'varchar', length: '64', isPrimary: true, ...exact },
          { name: 'created_at', type: 'datetime', ...(mysql ? { precision: 3 } : {}) },
        ],
      }),
    );
    // UTC as both databases' datetime columns hold it ('2026-12-07 09:12:44.512'); SQLite binds no Date.
    const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
    await queryRunner.query('INSERT INTO collections (name, created_at) VALUES (?, ?)', [
      DEFAULT,
      now,
    ]);

    // References: the key unique per collection, the subject and digest looked up within one.
    await queryRunner.addColumn('face_references', collection());
    await dropUnique(queryRunner, 'face_references', ['ref_key']);
    await queryRunner.dropIndex('face_references', 'IDX_face_references_subject');
    await queryRunner.dropIndex('face_references', 'IDX_face_references_image_sha256');
    await queryRunner.createIndices('face_references', [
      new TableIndex({
        name: 'UQ_face_references_collection_key',
        columnNames: ['collection', 'ref_key'],
        isUnique: true,
      }),
      // A collection's page, oldest first, read in id order from the index.
      new TableIndex({
        name: 'IDX_face_references_collection_id',
        columnNames: ['collection', 'id'],
      }),
      new TableIndex({
        name: 'IDX_face_references_collection_subject',
        columnNames: ['collection', 'subject', 'id'],
      }),
      new TableIndex({
        name: 'IDX_face_references_collection_sha256',
        columnNames: ['collection', 'image_sha256'],
      }),
    ]);

    // Subject metadata: one row per person of a collection.
    await queryRunner.addColumn('subject_metadata', collection());
    await setPrimaryKey(queryRunner, 'subject_metadata', ['collection', 'subject']);

    // Idempotency keys: a retry replays only in the collection it was first sent to.
    await queryRunner.addColumn('idempotency_keys', collection());
    await dropUnique(queryRunner, 'idempotency_keys', ['scope', 'idempotency_key']);
    await queryRunner.createIndex(
      'idempotency_keys',
      new TableIndex({
        name: 'UQ_idempotency_keys_scope_collection_key',
        columnNames: ['scope', 'collection', 'idempotency_key'],
        isUnique: true,
      }),
    );

    // The change log: a collection's erasure removes its entries.
    await queryRunner.addColumn('reference_changes', collection());
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    const [{ count }] = (await queryRunner.query(
      `SELECT (SELECT COUNT(*) FROM face_references WHERE collection <> ?) +
              (SELECT COUNT(*) FROM subject_metadata WHERE collection <> ?) AS count`,
      [DEFAULT, DEFAULT],
    )) as { count: number | string }[];
    if (Number(count) > 0) {
      throw new Error(
        'Cannot revert Collections: collections other than default hold references or subject ' +
          'metadata, which the schema before cannot keep apart; delete those collections first',
      );
    }
    await queryRunner.query('DELETE FROM idempotency_keys WHERE collection <> ?', [DEFAULT]);

    await queryRunner.dropColumn('reference_changes', 'collection');

    await queryRunner.dropIndex('idempotency_keys', 'UQ_idempotency_keys_scope_collection_key');
    await queryRunner.dropColumn('idempotency_keys', 'collection');
    await addUnique(queryRunner, 'idempotency_keys', 'UQ_idempotency_keys_scope_key', [
      'scope',
      'idempotency_key',
    ]);

    await setPrimaryKey(queryRunner, 'subject_metadata', ['subject']);
    // SQLite's rebuild has left the column out already.
    if (mysql) await queryRunner.dropColumn('subject_metadata', 'collection');

    await queryRunner.dropIndex('face_references', 'UQ_face_references_collection_key');
    await queryRunner.dropIndex('face_references', 'IDX_face_references_collection_id');
    await queryRunner.dropIndex('face_references', 'IDX_face_references_collection_subject');
    await queryRunner.dropIndex('face_references', 'IDX_face_references_collection_sha256');
    await queryRunner.dropColumn('face_references', 'collection');
    await addUnique(queryRunner, 'face_references', 'UQ_3ad7c0faf76d84d23f13e07f026', ['ref_key']);
    await queryRunner.createIndices('face_references', [
      new TableIndex({ name: 'IDX_face_references_subject', columnNames: ['subject', 'id'] }),
      new TableIndex({ name: 'IDX_face_references_image_sha256', columnNames: ['image_sha256'] }),
    ]);

    await queryRunner.dropTable('collections');
  }
}

const sameColumns = (a: string[], b: string[]) =>
  a.length === b.length && a.every((name, index) => name === b[index]);

/**
 * Drops the unique key on `columns`: MySQL keeps it as a unique index, SQLite as a constraint of
 * the table (which TypeORM drops by rebuilding the table, foreign keys off during migrations).
 */
async function dropUnique(runner: QueryRunner, tableName: string, columns: string[]) {
  const table = await runner.getTable(tableName);
  if (!table) throw new Error(`No table ${tableName}`);
  const index = table.indices.find((i) => i.isUnique && sameColumns(i.columnNames, columns));
  if (index) {
    await runner.dropIndex(table, index);
    return;
  }
  const unique = table.uniques.find((u) => sameColumns(u.columnNames, columns));
  if (!unique) throw new Error(`No unique key on ${tableName} (${columns.join(', ')})`);
  await runner.dropUniqueConstraint(table, unique);
}

/** A unique key as the first migrations made it: an index on MySQL, a constraint on SQLite. */
async function addUnique(runner: QueryRunner, table: string, name: string, columns: string[]) {
  if (runner.connection.driver.options.type === 'mysql') {
    await runner.createIndex(table, new TableIndex({ name, columnNames: columns, isUnique: true }));
  } else {
    await runner.createUniqueConstraint(table, new TableUnique({ name, columnNames: columns }));
  }
}

/**
 * The subject metadata's primary key. MySQL changes it in place; SQLite cannot, and TypeORM's
 * rebuild keeps a one-column key, so the table is rebuilt here with the key written out.
 */
async function setPrimaryKey(runner: QueryRunner, table: string, columns: string[]) {
  if (runner.connection.driver.options.type === 'mysql') {
    await runner.query(
      `ALTER TABLE ${table} DROP PRIMARY KEY, ADD PRIMARY KEY (${columns.join(', ')})`,
    );
    return;
  }
  const collection = columns.includes('collection');
  await runner.query(
    `CREATE TABLE "${table}_rebuilt" (` +
      (collection ? `"collection" varchar(64) NOT NULL DEFAULT ('${DEFAULT}'), ` : '') +
      '"subject" varchar(100) NOT NULL, "metadata" text NOT NULL, "updated_at" datetime NOT NULL, ' +
      `PRIMARY KEY (${columns.map((column) => `"${column}"`).join(', ')}))`,
  );
  const copied = collection
    ? 'collection, subject, metadata, updated_at'
    : 'subject, metadata, updated_at';
  await runner.query(`INSERT INTO "${table}_rebuilt" (${copied}) SELECT ${copied} FROM "${table}"`);
  await runner.query(`DROP TABLE "${table}"`);
  await runner.query(`ALTER TABLE "${table}_rebuilt" RENAME TO "${table}"`);
}
