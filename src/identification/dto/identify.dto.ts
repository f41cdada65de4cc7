import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { FacialAreaDto } from '../../common/dto/facial-area.dto.js';
import { OperatingPointDto } from '../../common/dto/operating-point.dto.js';
import { DecimalInteger } from '../../common/validation.js';

/** Multipart form of `POST /identify`. */
export class IdentifyDto extends OperatingPointDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: 'A JPEG or PNG photo with one or more faces',
  })
  image!: unknown;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'How many of the closest references to return per face',
    default: 5,
    minimum: 1,
    maximum: 100,
  })
  @IsOptional()
  @DecimalInteger({ min: 1, max: 100 })
  limit?: number;

  @ApiPropertyOptional({
    description:
      '`subject`: answer people, not photos. Each face then carries `subjects` instead of ' +
      '`matches`: each person once (a reference without a subject is a person of its own), ' +
      'their references combined by the person-level rule (docs/recognition.md), `limit` ' +
      'counting people, and beyond the `limit` nearest every other person within their threshold',
    enum: ['subject'],
  })
  @IsOptional()
  @IsIn(['subject'])
  group_by?: 'subject';
}

export class IdentityMatchDto {
  @ApiProperty({ example: '3f2b8c0e9d6a4b1f8e7d6c5b4a392817' })
  key!: string;

  @ApiProperty({ example: 'amy-1.png' })
  filename!: string;

  @ApiProperty({ type: String, nullable: true, example: 'amy' })
  subject!: string | null;

  @ApiProperty({ description: 'Cosine distance to the face', example: 0.031 })
  distance!: number;

  @ApiProperty({ description: 'distance <= threshold', example: true })
  verified!: boolean;

  @ApiPropertyOptional({
    description: 'Estimated false accept rate at this distance (see /compare_with_reference)',
    example: 0.00002,
  })
  far?: number;

  @ApiPropertyOptional({
    description:
      'Estimated chance that a search of this gallery by someone who is not enrolled returns a ' +
      'match at least this close (the false positive identification rate at this distance)',
    example: 0.0004,
  })
  fpir?: number;
}

export class PersonMatchDto {
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'amy',
    description: 'Null for a reference without a subject, a person of its own: `key` names it',
  })
  subject!: string | null;

  @ApiPropertyOptional({
    example: '3f2b8c0e9d6a4b1f8e7d6c5b4a392817',
    description: 'The reference, for a person without a subject only',
  })
  key?: string;

  @ApiProperty({
    description:
      'Cosine distance to the person: their references combined by the person-level rule',
    example: 0.029,
  })
  distance!: number;

  @ApiProperty({
    description:
      "The distance this person is judged by: the request's threshold, or the one the search's " +
      "score threshold stands for with this face's cohort (the cohort rule: distance minus half " +
      'the mean distance to the 5 nearest people), never looser than verifying the person',
    example: 0.0431,
  })
  threshold!: number;

  @ApiProperty({ description: 'distance <= threshold', example: true })
  verified!: boolean;

  @ApiPropertyOptional({
    description:
      'Estimated share of other people this close to a person with this many references (the ' +
      'person-level calibration)',
    example: 0.00003,
  })
  far?: number;

  @ApiPropertyOptional({
    description:
      'Estimated chance that a search of these people by someone not enrolled finds one at least ' +
      'this close (for the cohort rule, with a score at least this low)',
    example: 0.004,
  })
  fpir?: number;

  @ApiProperty({ description: "How many of the person's references were combined", example: 3 })
  references_used!: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
    description:
      'What is stored about the person with PUT /subjects/{subject} (empty when nothing is)',
    example: {},
  })
  metadata!: Record<string, string | number | boolean>;
}

export class IdentifiedFaceDto {
  @ApiProperty({ type: FacialAreaDto, description: 'The face in the photo' })
  facial_area!: FacialAreaDto;

  @ApiPropertyOptional({
    type: [IdentityMatchDto],
    description: 'The closest references, closest first (absent with group_by=subject)',
  })
  matches?: IdentityMatchDto[];

  @ApiPropertyOptional({
    type: [PersonMatchDto],
    description: 'With group_by=subject only: the nearest people, nearest first',
  })
  subjects?: PersonMatchDto[];
}

export class IdentifyResponseDto {
  @ApiProperty({
    type: [IdentifiedFaceDto],
    description: 'Every face found, left to right',
  })
  faces!: IdentifiedFaceDto[];

  @ApiProperty({
    description:
      "The threshold applied: the request's, or the one at which a search of this many " +
      'references gives someone not enrolled the target_fpir chance of a match. With ' +
      'group_by=subject, a threshold on the cohort score (distance minus half the mean distance ' +
      "to the face's 5 nearest people) unless the request gave one; each person names the " +
      'distance it stands for',
    example: 0.0447,
  })
  threshold!: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'The false positive identification rate the threshold was chosen for: IDENTIFY_TARGET_FPIR ' +
      '(default 0.01), or the security level (high 0.001, medium 0.01, low 0.1); null when the ' +
      'request gave a threshold or the model has no calibration',
    example: 0.01,
  })
  target_fpir!: number | null;

  @ApiProperty({ description: 'Weights and pipeline that made the embeddings' })
  model!: string;

  @ApiProperty({
    description: 'References searched: those enrolled with this model',
    example: 1000,
  })
  references_searched!: number;

  @ApiPropertyOptional({
    description:
      'With group_by=subject: the people searched (subjects, and references without one)',
    example: 400,
  })
  people_searched?: number;

  @ApiProperty({
    description: 'Faces found but not searched for: the smallest, over MAX_FACES_PER_IDENTIFY',
    example: 0,
  })
  faces_skipped!: number;

  @ApiProperty({ description: 'Seconds spent on the identification', example: 0.62 })
  time!: number;
}
