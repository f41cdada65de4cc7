import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Who looked at, matched, downloaded, changed or erased whose face, and who was refused: one row per
 * operation on biometric data. A write's row is committed in the write's own transaction.
 */
export class AuditLog1765300000000 implements MigrationInterface {
  name = 'AuditLog1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    // Subjects are case-sensitive everywhere else: the filters on these columns must be too.
    const exact = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'audit_log',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'occurred_at', type: 'datetime', ...(mysql ? { precision: 3 } : {}) },
          // The first 12 hex of the API key's SHA-256 and its name: never the key itself.
          { name: 'key_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'key_name', type: 'varchar', length: '128', isNullable: true },
          { name: 'collection', type: 'varchar', length: '64' },
          { name: 'action', type: 'varchar', length: '32' },
          // JSON arrays of strings.
          { name: 'reference_keys', type: 'text', ...exact },
          { name: 'subjects', type: 'text', ...exact },
          { name: 'outcome', type: 'integer' },
          { name: 'request_id', type: 'varchar', length: '128' },
          { name: 'client_address', type: 'varchar', length: '64' },
        ],
        indices: [
          { name: 'IDX_audit_log_occurred_at', columnNames: ['occurred_at'] },
          { name: 'IDX_audit_log_action', columnNames: ['action'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_log');
  }
}
