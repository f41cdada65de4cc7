import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Scoped API keys (issue 23, item 2): each works on one collection with the scopes it was given.
 * The secret itself is never stored, only its SHA-256, which is what a presented key is looked up
 * by; a revoked key keeps its row, so that the audit trail's key ids keep a name.
 */
export class ApiKeys1765500000000 implements MigrationInterface {
  name = 'ApiKeys1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    // Ids and digests are ASCII compared exactly ("aB" and "ab" are two ids).
    const exact = mysql ? { charset: 'ascii', collation: 'ascii_bin' } : {};
    const instant = { type: 'datetime', ...(mysql ? { precision: 3 } : {}) };
    await queryRunner.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          { name: 'id', type: 'varchar', length: '16', isPrimary: true, ...exact },
          { name: 'name', type: 'varchar', length: '128' },
          { name: 'collection', type: 'varchar', length: '64' },
          // Comma-separated, in the order of SCOPES.
          { name: 'scopes', type: 'varchar', length: '128', ...exact },
          // Hex SHA-256 of the secret.
          { name: 'secret_sha256', type: 'varchar', length: '64', ...exact },
          { name: 'created_at', ...instant },
          { name: 'expires_at', ...instant, isNullable: true },
          { name: 'last_used_at', ...instant, isNullable: true },
          { name: 'revoked_at', ...instant, isNullable: true },
        ],
        uniques: [{ name: 'UQ_api_keys_secret_sha256', columnNames: ['secret_sha256'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('api_keys');
  }
}
