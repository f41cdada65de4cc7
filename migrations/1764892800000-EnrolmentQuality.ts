import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * What the enrolled face measured (detector score, size, sharpness, pose), as JSON; null for
 * references enrolled before it was measured.
 */
export class EnrolmentQuality1764892800000 implements MigrationInterface {
  name = 'EnrolmentQuality1764892800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'face_references',
      new TableColumn({ name: 'face_quality', type: 'varchar', length: '255', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('face_references', 'face_quality');
  }
}
