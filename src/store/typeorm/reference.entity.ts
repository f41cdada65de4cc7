import { Column, Entity, OneToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { ReferenceImageEntity } from './reference-image.entity.js';

/**
 * One enrolled face: everything but the image bytes, so listing and comparing never touch a blob
 * larger than the 512-byte embedding. (`references` is reserved in MySQL, hence the table name.)
 */
@Entity({ name: 'face_references' })
export class ReferenceEntity {
  /** Insertion order: what "oldest first" means. */
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  /** The collection it belongs to: nothing of it is seen through another. */
  @Column({ type: 'varchar', length: 64 })
  collection!: string;

  /** Unique within its collection (with `collection`, the unique key). */
  @Column({ name: 'ref_key', type: 'varchar', length: 32 })
  key!: string;

  @Column({ type: 'varchar', length: 1024 })
  filename!: string;

  @Column({ name: 'content_type', type: 'varchar', length: 100 })
  contentType!: string;

  @Column({ name: 'size_bytes', type: 'integer' })
  sizeBytes!: number;

  /** The descriptor as little-endian float32s. */
  @Column({ type: 'blob' })
  embedding!: Buffer;

  @Column({ name: 'box_x', type: 'integer' })
  boxX!: number;

  @Column({ name: 'box_y', type: 'integer' })
  boxY!: number;

  @Column({ name: 'box_width', type: 'integer' })
  boxWidth!: number;

  @Column({ name: 'box_height', type: 'integer' })
  boxHeight!: number;

  /** Groups references of one person; null when the upload named none. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  subject!: string | null;

  /** Weights and pipeline that made the embedding; embeddings of different models don't compare. */
  @Column({ type: 'varchar', length: 100 })
  model!: string;

  /** `EnrolledFaceQuality` as JSON; null when enrolled before it was measured. */
  @Column({ name: 'face_quality', type: 'varchar', length: 255, nullable: true })
  faceQuality!: string | null;

  /** SHA-256 of the image bytes as uploaded, hex; null for sealed images enrolled before it was kept. */
  @Column({ name: 'image_sha256', type: 'varchar', length: 64, nullable: true })
  imageSha256!: string | null;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt!: Date;

  @OneToOne('ReferenceImageEntity', 'reference')
  image?: ReferenceImageEntity;
}
