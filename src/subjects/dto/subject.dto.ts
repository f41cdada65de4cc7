import { ApiProperty } from '@nestjs/swagger';
import { EnrolledFaceQualityDto, toFaceQuality } from '../../references/dto/responses.dto.js';
import type { Person } from '../subjects.service.js';
import { METADATA_MAX_BYTES, type SubjectMetadata } from '../subject-metadata.js';

const METADATA_EXAMPLE = { employee_id: 'E-1042', badge: 31337, contractor: false };

const METADATA_SCHEMA = {
  type: 'object' as const,
  additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
  example: METADATA_EXAMPLE,
};

/** Body of `PUT /subjects/{subject}`; checked by `parseSubjectMetadata`, which names the key at fault. */
export class PutSubjectMetadataDto {
  @ApiProperty({
    ...METADATA_SCHEMA,
    description:
      'Replaces what is kept on the person: a flat object whose values are strings, numbers or ' +
      `booleans (no null, object or array), at most ${METADATA_MAX_BYTES} bytes as JSON`,
  })
  metadata!: SubjectMetadata;
}

export class SubjectReferenceDto {
  @ApiProperty({ example: '3f2b8c0e9d6a4b1f8e7d6c5b4a392817' })
  key!: string;

  @ApiProperty({ example: 'passport.jpg' })
  filename!: string;

  @ApiProperty({ example: '2026-11-27T22:55:04.120Z' })
  created_at!: string;

  @ApiProperty({
    type: EnrolledFaceQualityDto,
    nullable: true,
    description: 'What the enrolled face measured; null when enrolled before it was measured',
  })
  face_quality!: EnrolledFaceQualityDto | null;
}

export class SubjectResponseDto {
  @ApiProperty({ example: 'amy' })
  subject!: string;

  @ApiProperty({
    type: [SubjectReferenceDto],
    description: 'The references of the person, oldest first',
  })
  references!: SubjectReferenceDto[];

  @ApiProperty({ ...METADATA_SCHEMA, description: 'What PUT stored; {} when nothing was' })
  metadata!: SubjectMetadata;
}

export class EraseSubjectResponseDto {
  @ApiProperty({ example: true })
  success!: true;

  @ApiProperty({ example: 3, description: 'How many references of the person were erased' })
  deleted!: number;
}

export function toSubjectResponse({ subject, references, metadata }: Person): SubjectResponseDto {
  return {
    subject,
    references: references.map((reference) => ({
      key: reference.key,
      filename: reference.filename,
      created_at: reference.createdAt.toISOString(),
      face_quality: reference.quality && toFaceQuality(reference.quality),
    })),
    metadata,
  };
}
