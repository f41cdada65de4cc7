import { createHash } from 'node:crypto';
import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** The envelope an encrypted image starts with (see image-cipher.ts); plaintext never does. */
const SEALED = Buffer.from('FGE\x00', 'latin1');
/** Image rows read at a time by the backfill: a bounded amount of memory however large the store. */
const BATCH = 200;

/**
 * The SHA-256 of each reference's image bytes as uploaded, so that bulk enrolment can tell a photo
 * already enrolled under a subject from a new one. Filled here for images stored in plaintext;
 * sealed images stay null (the migration holds no key to open them), which only means that enrol
 * does not recognise those photos as enrolled.
 */
export class ImageDigest1765200000000 implements MigrationInterface {
  name = 'ImageDigest1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.addColumn(
      'face_references',
      new TableColumn({
        name: 'image_sha256',
        type: 'varchar',
        length: '64',
        isNullable: true,
        ...(mysql ? { charset: 'ascii', collation: 'ascii_bin' } : {}),
      }),
    );
    // Enrol looks up its photos' digests a batch at a time.
    await queryRunner.createIndex(
      'face_references',
      new TableIndex({ name: 'IDX_face_references_image_sha256', columnNames: ['image_sha256'] }),
    );

    let after = 0;
    for (;;) {
      const rows = (await queryRunner.query(
        'SELECT reference_id, bytes FROM reference_images WHERE reference_id > ? ' +
          `ORDER BY reference_id LIMIT ${BATCH}`,
        [after],
      )) as { reference_id: number; bytes: Buffer }[];
      if (rows.length === 0) break;
      for (const { reference_id: id, bytes } of rows) {
        if (bytes.subarray(0, SEALED.length).equals(SEALED)) continue;
        const digest = createHash('sha256').update(bytes).digest('hex');
        await queryRunner.query('UPDATE face_references SET image_sha256 = ? WHERE id = ?', [
          digest,
          id,
        ]);
      }
      after = rows[rows.length - 1].reference_id;
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('face_references', 'IDX_face_references_image_sha256');
    await queryRunner.dropColumn('face_references', 'image_sha256');
  }
}
