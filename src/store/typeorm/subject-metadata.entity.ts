import { Column, Entity, PrimaryColumn, type EntityManager } from 'typeorm';
import { ReferenceEntity } from './reference.entity.js';

/** What a client keeps on a person: a flat JSON object, erased with the person's last reference. */
@Entity({ name: 'subject_metadata' })
export class SubjectMetadataEntity {
  /** A person is a subject within a collection: "amy" of one is not "amy" of another. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  collection!: string;

  @PrimaryColumn({ type: 'varchar', length: 100 })
  subject!: string;

  /** `SubjectMetadata` as JSON. */
  @Column({ type: 'text' })
  metadata!: string;

  @Column({ name: 'updated_at', type: 'datetime' })
  updatedAt!: Date;
}

/**
 * Drops the subject's metadata when no reference carries the subject any more; called in the
 * transaction that removed a reference, so metadata never outlives its person.
 */
export async function forgetMetadataOfGone(
  manager: EntityManager,
  collection: string,
  subject: string,
): Promise<void> {
  const person = { collection, subject };
  const remaining = await manager.getRepository(ReferenceEntity).exists({ where: person });
  if (!remaining) await manager.getRepository(SubjectMetadataEntity).delete(person);
}
