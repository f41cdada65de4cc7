import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One operation on biometric data, or one refused attempt at one. */
@Entity({ name: 'audit_log' })
export class AuditEntryEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ name: 'occurred_at', type: 'datetime', precision: 3 })
  occurredAt!: Date;

  @Column({ name: 'key_id', type: 'varchar', length: 64, nullable: true })
  keyId!: string | null;

  @Column({ name: 'key_name', type: 'varchar', length: 128, nullable: true })
  keyName!: string | null;

  @Column({ type: 'varchar', length: 64 })
  collection!: string;

  @Column({ type: 'varchar', length: 32 })
  action!: string;

  /** JSON array of reference keys. */
  @Column({ name: 'reference_keys', type: 'text' })
  referenceKeys!: string;

  /** JSON array of subjects. */
  @Column({ type: 'text' })
  subjects!: string;

  @Column({ type: 'integer' })
  outcome!: number;

  @Column({ name: 'request_id', type: 'varchar', length: 128 })
  requestId!: string;

  @Column({ name: 'client_address', type: 'varchar', length: 64 })
  clientAddress!: string;
}
