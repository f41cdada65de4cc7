import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { DecimalNumber } from '../validation.js';
import { SECURITY_LEVEL_NAMES, type SecurityLevel } from '../operating-point.js';

/**
 * What a verdict is judged by, when a client chooses: a threshold of its own, or a security level
 * of the shipped calibration; FACE_MATCH_THRESHOLD when neither.
 */
export class OperatingPointDto {
  @ApiPropertyOptional({
    description:
      'A match at or below this cosine distance; FACE_MATCH_THRESHOLD when neither this nor ' +
      'security is given',
    minimum: 0,
    maximum: 2,
    example: 0.079,
  })
  @IsOptional()
  @DecimalNumber({ min: 0, max: 2 })
  threshold?: number;

  @ApiPropertyOptional({
    description:
      'The threshold at which about this share of different people would match on real-world ' +
      'photos: high 0.01%, medium 0.1%, low 1% (the shipped calibration, see docs/recognition.md)',
    enum: SECURITY_LEVEL_NAMES,
  })
  @IsOptional()
  @IsIn(SECURITY_LEVEL_NAMES)
  security?: SecurityLevel;
}
