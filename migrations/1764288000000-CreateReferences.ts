import { Table, TableForeignKey, type MigrationInterface, type QueryRunner } from 'typeorm';

/** The reference store, created the same way on MySQL/MariaDB and on the embedded SQLite file. */
export class CreateReferences1764288000000 implements MigrationInterface {
  name = 'CreateReferences1764288000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    const text = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' } : {};

    await queryRunner.createTable(
      new Table({
        name: 'face_references',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          // Binary collation: keys are compared exactly, never case-insensitively.
          {
            name: 'ref_key',
            type: 'varchar',
            length: '32',
            isUnique: true,
            ...(mysql ? { charset: 'ascii', collation: 'ascii_bin' } : {}),
          },
          { name: 'filename', type: 'varchar', length: '1024', ...text },
          { name: 'content_type', type: 'varchar', length: '100', ...text },
          { name: 'size_bytes', type: 'integer' },
          { name: 'embedding', type: 'blob' },
          { name: 'box_x', type: 'integer' },
          { name: 'box_y', type: 'integer' },
          { name: 'box_width', type: 'integer' },
          { name: 'box_height', type: 'integer' },
          { name: 'model', type: 'varchar', length: '100', ...text },
          { name: 'created_at', type: 'datetime', ...(mysql ? { precision: 3 } : {}) },
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'reference_images',
        columns: [
          { name: 'reference_id', type: 'integer', isPrimary: true },
          // MySQL's BLOB stops at 64 KiB; LONGBLOB holds any upload MAX_UPLOAD_BYTES allows.
          { name: 'bytes', type: mysql ? 'longblob' : 'blob' },
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['reference_id'],
            referencedTableName: 'face_references',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('reference_images');
    await queryRunner.dropTable('face_references');
  }
}
