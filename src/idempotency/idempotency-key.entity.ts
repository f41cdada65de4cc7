import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * `running`: a request holds the key and is being handled, until `lease_until`. `committed`: its
 * write committed without an answer named beforehand, the answer follows the commit. `done`: the
 * answer a retry gets again.
 */
export type IdempotencyState = 'running' | 'committed' | 'done';

/** One Idempotency-Key of one client, with the request it named and, once done, its answer. */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKeyEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 64 })
  scope!: string;

  /** A retry replays only in the collection the key was first used in. */
  @Column({ type: 'varchar', length: 64 })
  collection!: string;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 255 })
  key!: string;

  @Column({ type: 'varchar', length: 64 })
  fingerprint!: string;

  @Column({ type: 'varchar', length: 9 })
  state!: IdempotencyState;

  /** A random id of the request that holds the key: only it may record or release it. */
  @Column({ type: 'varchar', length: 32 })
  holder!: string;

  @Column({ name: 'status_code', type: 'integer', nullable: true })
  statusCode!: number | null;

  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody!: string | null;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt!: Date;

  @Column({ name: 'lease_until', type: 'datetime' })
  leaseUntil!: Date;

  @Column({ name: 'expires_at', type: 'datetime' })
  expiresAt!: Date;
}
