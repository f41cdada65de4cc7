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
      'A match at or below this cosine distance. When neither this nor security is given: ' +
      'FACE_MATCH_THRESHOLD for a pair of photos; for /identify, the threshold of ' +
      'IDENTIFY_TARGET_FPIR at the number of references searched',
    minimum: 0,
    maximum: 2,
    example: 0.079,
  })
  @IsOptional()
  @DecimalNumber({ min: 0, max: 2 })
  threshold?: number;

  @ApiPropertyOptional({
    description:
      'For a pair of photos, the threshold at which about this share of different people would ' +
      'match on real-world photos: high 0.01%, medium 0.1%, low 1%. For /identify, the one at ' +
      'which this share of searches by people who are not enrolled would return a match: high ' +
      '0.1%, medium 1%, low 10% (the shipped calibration, see docs/recognition.md)',
    enum: SECURITY_LEVEL_NAMES,
  })
  @IsOptional()
  @IsIn(SECURITY_LEVEL_NAMES)
  security?: SecurityLevel;
}
