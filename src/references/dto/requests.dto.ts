import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { OperatingPointDto } from '../../common/dto/operating-point.dto.js';
import { MULTI_FACE_POLICIES } from '../../config/environment.js';
import type { MultiFacePolicy } from '../../face-engine/face-selection.js';
import { DecimalInteger, MaxCodePoints, PRINTABLE_TEXT } from '../../common/validation.js';
import { SUBJECT_MAX_LENGTH } from '../../store/reference-store.js';
import { PROBE_FACES, type ProbeFaces } from '../verdict.js';
import { FACE_SIZE_DEFAULT, FACE_SIZE_MAX, FACE_SIZE_MIN } from '../face-thumbnails.service.js';

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

/** Query of `GET /references/{key}/face`. */
export class FaceQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    description: 'The side of the square thumbnail, in pixels',
    minimum: FACE_SIZE_MIN,
    maximum: FACE_SIZE_MAX,
    default: FACE_SIZE_DEFAULT,
  })
  @IsOptional()
  @DecimalInteger({ min: FACE_SIZE_MIN, max: FACE_SIZE_MAX })
  size?: number;
}

/** What compare and verify take beside their photos: the operating point, and which faces count. */
export class ComparisonDto extends OperatingPointDto {
  @ApiPropertyOptional({
    description:
      'Which faces of a photo are compared. `subject` (the default): the face the photo is ' +
      'about, by the rule /upload_reference enrols with (much larger than the others, or the ' +
      'central one); the other faces are only counted in faces_skipped, so a face in the ' +
      'background or printed on a shirt cannot stand in for the person. Where no face clearly ' +
      'is the subject (a group), the largest MAX_FACES_PER_IMAGE faces, the closest deciding. ' +
      '`all`: the largest MAX_FACES_PER_IMAGE faces of every photo, the closest deciding.',
    enum: PROBE_FACES,
    default: 'subject',
  })
  @IsOptional()
  @IsIn(PROBE_FACES)
  probe_faces?: ProbeFaces;
}

/** Multipart form of `POST /compare_with_reference`. */
export class CompareWithReferenceDto extends ComparisonDto {
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
export class VerifyDto extends ComparisonDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'A JPEG or PNG photo' })
  image1!: unknown;

  @ApiProperty({ type: 'string', format: 'binary', description: 'Another JPEG or PNG photo' })
  image2!: unknown;
}

/**
 * Multipart form of `POST /subjects/{subject}/verify`: the photo, and the operating point as
 * compare takes it. The face judged is the one the photo is about, as compare's default chooses.
 */
export class SubjectVerifyDto extends OperatingPointDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'A JPEG or PNG photo to check' })
  image!: unknown;
}
