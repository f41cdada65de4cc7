import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type ReferenceChangeKind = 'insert' | 'delete';

/**
 * One upload or delete, written in the same transaction as the change itself: the log that every
 * replica reads past its watermark to keep its identification index in step.
 */
@Entity({ name: 'reference_changes' })
export class ReferenceChangeEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ name: 'reference_id', type: 'integer' })
  referenceId!: number;

  /** The reference's collection: an erased collection's entries go with it. */
  @Column({ type: 'varchar', length: 64 })
  collection!: string;

  @Column({ type: 'varchar', length: 6 })
  kind!: ReferenceChangeKind;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt!: Date;
}
