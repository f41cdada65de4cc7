import { ApiProperty } from '@nestjs/swagger';

/** Every error answer but a missing field: `{"detail": "..."}`, as the old service sent them. */
export class ErrorResponseDto {
  @ApiProperty({ example: 'Invalid file extension' })
  detail!: string;
}

export class FieldErrorDto {
  @ApiProperty({ example: ['body', 'image'], type: [String] })
  loc!: string[];

  @ApiProperty({ example: 'Field required' })
  msg!: string;

  @ApiProperty({ example: 'missing' })
  type!: string;
}

/** A missing form field, in FastAPI's form. */
export class ValidationErrorResponseDto {
  @ApiProperty({ type: [FieldErrorDto] })
  detail!: FieldErrorDto[];
}
