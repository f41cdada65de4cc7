import { ApiProperty } from '@nestjs/swagger';
import type { CollectionSummary } from '../collection-store.js';

const NAME_RULE =
  '1 to 64 letters, digits, underscores, dots or hyphens, beginning with a letter or a digit; ' +
  'case-sensitive';

/** Body of `POST /collections`. */
export class CreateCollectionDto {
  @ApiProperty({
    example: 'front-door',
    pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
    description: NAME_RULE,
  })
  name!: string;
}

export class CollectionDto {
  @ApiProperty({ example: 'front-door' })
  name!: string;

  @ApiProperty({ example: '2026-12-07T09:12:44.512Z' })
  created_at!: string;

  @ApiProperty({ example: 42, description: 'References stored in the collection' })
  references!: number;

  @ApiProperty({ example: 17, description: 'Subjects with at least one reference' })
  persons!: number;
}

export class ListCollectionsResponseDto {
  @ApiProperty({ example: 2 })
  count!: number;

  @ApiProperty({ type: [CollectionDto], description: 'By name' })
  collections!: CollectionDto[];
}

export class DeleteCollectionResponseDto {
  @ApiProperty({ example: true })
  success!: true;

  @ApiProperty({ example: 42, description: 'References erased, with their photos and embeddings' })
  references!: number;

  @ApiProperty({ example: 17, description: 'Subjects erased, with their metadata' })
  persons!: number;
}

export function toCollection(summary: CollectionSummary): CollectionDto {
  return {
    name: summary.name,
    created_at: summary.createdAt.toISOString(),
    references: summary.references,
    persons: summary.persons,
  };
}
