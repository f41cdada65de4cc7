import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import type { ReferenceEntity } from './reference.entity.js';

/** The uploaded bytes, kept apart from the metadata row so scans of references stay small. */
@Entity({ name: 'reference_images' })
export class ReferenceImageEntity {
  @PrimaryColumn({ name: 'reference_id', type: 'integer' })
  referenceId!: number;

  // LONGBLOB on MySQL (see the migration); 'blob' here because the entity must also suit SQLite.
  @Column({ type: 'blob' })
  bytes!: Buffer;

  @OneToOne('ReferenceEntity', 'image', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'reference_id' })
  reference?: ReferenceEntity;
}
