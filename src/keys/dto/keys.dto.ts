import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
} from 'class-validator';
import { SCOPES, type Scope } from '../../auth/scopes.js';
import { MaxCodePoints, PRINTABLE_TEXT } from '../../common/validation.js';
import type { StoredKey } from '../key-store.js';

export const KEY_NAME_MAX_LENGTH = 128;
export const COLLECTION_MAX_LENGTH = 64;

/** Body of `POST /keys`. */
export class CreateKeyDto {
  @ApiProperty({
    description: 'Who or what holds the key; the audit trail names the key by it',
    maxLength: KEY_NAME_MAX_LENGTH,
    example: 'front-door kiosk',
  })
  @IsString()
  @MaxCodePoints(KEY_NAME_MAX_LENGTH)
  @Matches(PRINTABLE_TEXT, { message: 'name must be printable text' })
  name!: string;

  @ApiProperty({
    description: 'The collection the key works on',
    maxLength: COLLECTION_MAX_LENGTH,
    example: 'default',
  })
  @IsString()
  @MaxCodePoints(COLLECTION_MAX_LENGTH)
  @Matches(PRINTABLE_TEXT, { message: 'collection must be printable text' })
  collection!: string;

  @ApiProperty({
    description: 'What the key may do; the caller’s key must hold each of them itself',
    enum: SCOPES,
    isArray: true,
    example: ['verify'],
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(SCOPES, { each: true, message: `each scope must be one of ${SCOPES.join(', ')}` })
  scopes!: Scope[];

  @ApiPropertyOptional({
    description: 'When the key stops working (ISO 8601, in the future); absent: never',
    example: '2027-06-30T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'expires_at must be an ISO 8601 instant' })
  expires_at?: string;
}

/** What a key's create answer and its listing both say of it. */
class KeyFieldsDto {
  @ApiProperty({ example: 'q3VxY2Fk9LmZ', description: 'Public id: revoke the key by it' })
  id!: string;

  @ApiProperty({ example: 'front-door kiosk' })
  name!: string;

  @ApiProperty({ example: 'default' })
  collection!: string;

  @ApiProperty({ enum: SCOPES, isArray: true, example: ['verify'] })
  scopes!: Scope[];

  @ApiProperty({ example: '2026-12-07T08:00:00.000Z' })
  created_at!: string;

  @ApiProperty({ type: String, nullable: true, example: '2027-06-30T00:00:00.000Z' })
  expires_at!: string | null;
}

/** A key as listed: never its secret. */
export class KeyDto extends KeyFieldsDto {
  @ApiProperty({
    type: String,
    nullable: true,
    example: '2026-12-07T09:12:00.000Z',
    description: 'Written at most once a minute per replica: up to a few minutes behind',
  })
  last_used_at!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  revoked_at!: string | null;
}

/** Answer of `POST /keys`: the one time the secret is shown. */
export class CreatedKeyDto extends KeyFieldsDto {
  @ApiProperty({
    example: 'fg_3q2-7wEXAMPLEONLYxJm0tdU3bQfM2Y6r9k4hZ0vL8wA',
    description:
      'Send it in X-API-Key or as Authorization: Bearer. Shown this once: only its SHA-256 is stored',
  })
  secret!: string;
}

export class KeyListDto {
  @ApiProperty({ example: 1 })
  count!: number;

  @ApiProperty({ type: [KeyDto] })
  keys!: KeyDto[];
}

const instant = (time: Date | null): string | null => time && time.toISOString();

function keyFields(key: StoredKey): KeyFieldsDto {
  return {
    id: key.id,
    name: key.name,
    collection: key.collection,
    scopes: key.scopes,
    created_at: key.createdAt.toISOString(),
    expires_at: instant(key.expiresAt),
  };
}

export function toKeyDto(key: StoredKey): KeyDto {
  return {
    ...keyFields(key),
    last_used_at: instant(key.lastUsedAt),
    revoked_at: instant(key.revokedAt),
  };
}

export function toCreatedKeyDto(key: StoredKey, secret: string): CreatedKeyDto {
  const { id, name, ...rest } = keyFields(key);
  // The secret beside the id and name, where a reader of the answer looks first.
  return { id, name, secret, ...rest };
}
