import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { OperatingPointDto } from '../../common/dto/operating-point.dto.js';
import { MULTI_FACE_POLICIES } from '../../config/environment.js';
import type { MultiFacePolicy } from '../../face-engine/pipeline/selection.js';
import { DecimalInteger, MaxCodePoints, PRINTABLE_TEXT } from '../../common/validation.js';
import { SUBJECT_MAX_LENGTH } from '../reference-store.js';

/** Multipart form of `POST /upload_reference`; the file itself arrives through multer. */
export class UploadReferenceDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: 'A JPEG or PNG photo with one face',
  })
  image!: unknown;

  @ApiPropertyOptional({
    description: 'The person the photo shows; groups several references of one person',
    maxLength: SUBJECT_MAX_LENGTH,
    example: 'amy',
  })
  @IsOptional()
  @IsString()
  @MaxCodePoints(SUBJECT_MAX_LENGTH)
  @Matches(PRINTABLE_TEXT, {
    message: 'subject must be printable text without control or format characters',
  })
  subject?: string;

  @ApiPropertyOptional({
    description:
      'When the photo shows several faces: `dominant` enrols the face the photo is about when ' +
      'one clearly is (much larger than the others, and central); `reject` refuses the photo. ' +
      'MULTI_FACE_POLICY by default.',
    enum: MULTI_FACE_POLICIES,
  })
  @IsOptional()
  @IsIn(MULTI_FACE_POLICIES)
  multi_face_policy?: MultiFacePolicy;
}

/** Query of `GET /list_references`: without any, every reference, as the old service listed them. */
export class ListReferencesQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    description: 'At most this many references',
    minimum: 1,
    maximum: 1000,
  })
  @IsOptional()
  @DecimalInteger({ min: 1, max: 1000 })
  limit?: number;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'Skip this many first',
    minimum: 0,
    default: 0,
  })
  @IsOptional()
  @DecimalInteger({ min: 0, max: 2 ** 31 - 1 })
  offset?: number;

  @ApiPropertyOptional({ description: 'Only the references of this subject', example: 'amy' })
  @IsOptional()
  @IsString()
  @MaxCodePoints(SUBJECT_MAX_LENGTH)
  subject?: string;
}

/** Multipart form of `POST /compare_with_reference`. */
export class CompareWithReferenceDto extends OperatingPointDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'A JPEG or PNG photo to check' })
  image!: unknown;

  @ApiProperty({
    description: 'The key returned by /upload_reference',
    example: '3f2b8c0e9d6a4b1f8e7d6c5b4a392817',
  })
  // Its absence is answered before validation, with the documented 422 (`@PhotoForm`).
  @IsString()
  reference_key!: string;
}

/** Multipart form of `POST /verify`: two photos, nothing stored. */
export class VerifyDto extends OperatingPointDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'A JPEG or PNG photo' })
  image1!: unknown;

  @ApiProperty({ type: 'string', format: 'binary', description: 'Another JPEG or PNG photo' })
  image2!: unknown;
}
