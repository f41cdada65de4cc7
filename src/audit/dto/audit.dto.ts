import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { DecimalInteger, MaxCodePoints } from '../../common/validation.js';
import { SUBJECT_MAX_LENGTH } from '../../store/reference-store.js';
import { AUDIT_ACTIONS, type AuditAction, type StoredAuditEntry } from '../audit-store.js';

export const AUDIT_PAGE_DEFAULT = 100;

/** Query of `GET /audit`. */
export class AuditQueryDto {
  @ApiPropertyOptional({
    description: 'Entries at or after this instant (ISO 8601)',
    example: '2026-12-01T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({
    description: 'Entries before this instant (ISO 8601)',
    example: '2026-12-08T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS, description: 'Only this action' })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS)
  action?: AuditAction;

  @ApiPropertyOptional({ description: 'Only entries that touched this subject', example: 'amy' })
  @IsOptional()
  @IsString()
  @MaxCodePoints(SUBJECT_MAX_LENGTH)
  subject?: string;

  @ApiPropertyOptional({
    description: 'Only entries that touched this reference key',
    example: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  key?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    default: AUDIT_PAGE_DEFAULT,
    description: 'At most this many entries',
  })
  @IsOptional()
  @DecimalInteger({ min: 1, max: 1000 })
  limit?: number;

  @ApiPropertyOptional({
    description: 'The `next_cursor` of the previous page: the entries older than its last',
    example: '1042',
  })
  @IsOptional()
  @Matches(/^[1-9]\d{0,15}$/, { message: 'cursor must be a next_cursor of a previous page' })
  cursor?: string;
}

export class AuditKeyDto {
  @ApiProperty({
    example: '3f2a9c1b7e04',
    description:
      'A scoped key’s id; for a key of API_KEYS the first 12 hex of its SHA-256; `cli` for the ' +
      'command line',
  })
  id!: string;

  @ApiProperty({
    example: 'api-keys[0]',
    description: 'A scoped key’s name; for a key of API_KEYS its place in the list',
  })
  name!: string;
}

export class AuditEntryDto {
  @ApiProperty({ example: 1042 })
  id!: number;

  @ApiProperty({ example: '2026-12-07T05:55:12.345Z' })
  time!: string;

  @ApiProperty({
    type: AuditKeyDto,
    nullable: true,
    description: 'The API key of the request; null with API_KEYS unset or no valid key given',
  })
  key!: AuditKeyDto | null;

  @ApiProperty({ example: 'default' })
  collection!: string;

  @ApiProperty({ enum: AUDIT_ACTIONS, example: 'compare' })
  action!: string;

  @ApiProperty({ type: [String], example: ['a1b2c3d4e5f60718293a4b5c6d7e8f90'] })
  reference_keys!: string[];

  @ApiProperty({
    type: [String],
    example: ['amy'],
    description: 'Subjects touched; an erased person’s appear as sha256:<hex of the name>',
  })
  subjects!: string[];

  @ApiProperty({ example: 200, description: 'The HTTP status the request was answered with' })
  outcome!: number;

  @ApiProperty({ example: '6f1c2b1e-5d0e-4c59-9a51-2f8f4f0f7d2a' })
  request_id!: string;

  @ApiProperty({ example: '203.0.113.7' })
  client_address!: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto], description: 'Newest first' })
  entries!: AuditEntryDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: '1042',
    description: 'Pass as `cursor` for the next (older) page; null on the last page',
  })
  next_cursor!: string | null;
}

export function toAuditEntry(entry: StoredAuditEntry): AuditEntryDto {
  return {
    id: entry.id,
    time: entry.time.toISOString(),
    key: entry.key,
    collection: entry.collection,
    action: entry.action,
    reference_keys: entry.referenceKeys,
    subjects: entry.subjects,
    outcome: entry.outcome,
    request_id: entry.requestId,
    client_address: entry.clientAddress,
  };
}
