import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Subjects group references of one person; `reference_changes` is the change log that lets every
 * replica keep its in-memory identification index in step with the others' uploads and deletes.
 */
export class SubjectsAndChanges1764460800000 implements MigrationInterface {
  name = 'SubjectsAndChanges1764460800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';

    await queryRunner.addColumn(
      'face_references',
      new TableColumn({
        name: 'subject',
        type: 'varchar',
        length: '100',
        isNullable: true,
        // Exact comparison, as for keys: "Amy" and "amy" are two subjects.
        ...(mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {}),
      }),
    );
    // Leads with subject so that a subject's page is read in insertion order from the index.
    await queryRunner.createIndex(
      'face_references',
      new TableIndex({ name: 'IDX_face_references_subject', columnNames: ['subject', 'id'] }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'reference_changes',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'reference_id', type: 'integer' },
          { name: 'kind', type: 'varchar', length: '6' },
          { name: 'created_at', type: 'datetime', ...(mysql ? { precision: 3 } : {}) },
        ],
        indices: [{ name: 'IDX_reference_changes_created_at', columnNames: ['created_at'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('reference_changes');
    await queryRunner.dropIndex('face_references', 'IDX_face_references_subject');
    await queryRunner.dropColumn('face_references', 'subject');
  }
}
