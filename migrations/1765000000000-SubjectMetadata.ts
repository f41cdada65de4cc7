import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Key-value data a client keeps on a person (`PUT /subjects/{subject}`), one row per subject that
 * has any. Its key matches `face_references.subject` exactly, so that a person's row is found,
 * and erased, by the same comparison as their references.
 */
export class SubjectMetadata1765000000000 implements MigrationInterface {
  name = 'SubjectMetadata1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.createTable(
      new Table({
        name: 'subject_metadata',
        columns: [
          {
            name: 'subject',
            type: 'varchar',
            length: '100',
            isPrimary: true,
            // As face_references.subject: "Amy" and "amy" are two people.
            ...(mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {}),
          },
          // JSON as text: the same on both databases, and never queried inside.
          {
            name: 'metadata',
            type: 'text',
            ...(mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {}),
          },
          { name: 'updated_at', type: 'datetime', ...(mysql ? { precision: 3 } : {}) },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('subject_metadata');
  }
}
