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

  @ApiProperty({ description: 'The threshold applied', example: 0.079 })
  threshold!: number;

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
