import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
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

export class IdentifiedFaceDto {
  @ApiProperty({ type: FacialAreaDto, description: 'The face in the photo' })
  facial_area!: FacialAreaDto;

  @ApiProperty({ type: [IdentityMatchDto], description: 'The closest references, closest first' })
  matches!: IdentityMatchDto[];
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
      'references gives someone not enrolled the target_fpir chance of a match',
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

  @ApiProperty({
    description: 'Faces found but not searched for: the smallest, over MAX_FACES_PER_IDENTIFY',
    example: 0,
  })
  faces_skipped!: number;

  @ApiProperty({ description: 'Seconds spent on the identification', example: 0.62 })
  time!: number;
}
