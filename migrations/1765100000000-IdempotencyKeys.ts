import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The answers of writes sent with an Idempotency-Key, so that a retry gets the first answer again
 * on any replica and after a restart. Written in the transaction of the write they answer for.
 */
export class IdempotencyKeys1765100000000 implements MigrationInterface {
  name = 'IdempotencyKeys1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    // Keys are printable ASCII compared exactly: "Key" and "key" are two keys. ASCII also keeps the
    // unique index (64 + 255 bytes) far below InnoDB's limit.
    const exact = mysql ? { charset: 'ascii', collation: 'ascii_bin' } : {};
    const instant = { type: 'datetime', ...(mysql ? { precision: 3 } : {}) };
    await queryRunner.createTable(
      new Table({
        name: 'idempotency_keys',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          // SHA-256 of the API key the request came with (hex), '' when API_KEYS is off.
          { name: 'scope', type: 'varchar', length: '64', ...exact },
          { name: 'idempotency_key', type: 'varchar', length: '255', ...exact },
          { name: 'fingerprint', type: 'varchar', length: '64', ...exact },
          { name: 'state', type: 'varchar', length: '9' },
          { name: 'holder', type: 'varchar', length: '32', ...exact },
          { name: 'status_code', type: 'integer', isNullable: true },
          { name: 'response_body', type: 'text', isNullable: true },
          { name: 'created_at', ...instant },
          { name: 'lease_until', ...instant },
          { name: 'expires_at', ...instant },
        ],
        uniques: [
          { name: 'UQ_idempotency_keys_scope_key', columnNames: ['scope', 'idempotency_key'] },
        ],
        indices: [{ name: 'IDX_idempotency_keys_expires_at', columnNames: ['expires_at'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('idempotency_keys');
  }
}
