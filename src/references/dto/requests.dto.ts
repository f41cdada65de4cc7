import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';

/** Multipart form of `POST /upload_reference`; the file itself arrives through multer. */
export class UploadReferenceDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: 'A JPEG or PNG photo with one face',
  })
  image!: unknown;
}

/** Multipart form of `POST /compare_with_reference`. */
export class CompareWithReferenceDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'A JPEG or PNG photo to check' })
  image!: unknown;

  @ApiProperty({
    description: 'The key returned by /upload_reference',
    example: '3f2b8c0e9d6a4b1f8e7d6c5b4a392817',
  })
  // Optional here so that a missing key gets the documented 422 body, not a validation 400.
  @IsOptional()
  @IsString()
  reference_key?: string;
}

/** Multipart form of `POST /verify`: two photos, nothing stored. */
export class VerifyDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'A JPEG or PNG photo' })
  image1!: unknown;

  @ApiProperty({ type: 'string', format: 'binary', description: 'Another JPEG or PNG photo' })
  image2!: unknown;
}
