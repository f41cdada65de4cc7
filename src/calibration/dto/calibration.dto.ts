import { ApiProperty } from '@nestjs/swagger';
import type { CalibrationReport } from '../calibration-report.service.js';

export class SecurityLevelsDto {
  @ApiProperty({ example: 0.0576, description: 'Threshold of the high security level' })
  high!: number;

  @ApiProperty({ example: 0.0714 })
  medium!: number;

  @ApiProperty({ example: 0.0893 })
  low!: number;
}

export class CalibrationDto {
  @ApiProperty({ example: 'face-api/face_recognition_model@b413e420d684+p6' })
  model!: string;

  @ApiProperty({
    example: 0.079,
    description: 'FACE_MATCH_THRESHOLD: the threshold of a compare or verify that names none',
  })
  default_threshold!: number;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'The pairs the table was measured on; null when the model has no calibration',
  })
  measured_on!: string | null;

  @ApiProperty({ type: 'integer', nullable: true, example: 7251728 })
  impostor_pairs!: number | null;

  @ApiProperty({ type: SecurityLevelsDto, nullable: true })
  levels!: SecurityLevelsDto | null;

  @ApiProperty({
    type: 'array',
    items: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 },
    example: [
      [0.07, 2.1e-6],
      [0.071, 2.6e-6],
    ],
    description:
      'The false accept rate at each distance, distance ascending: the share of different-person ' +
      'pairs at least that close (empty when the model has no calibration)',
  })
  far!: [number, number][];
}

export function toCalibration({
  model,
  defaultThreshold,
  table,
}: CalibrationReport): CalibrationDto {
  return {
    model,
    default_threshold: defaultThreshold,
    measured_on: table?.measuredOn ?? null,
    impostor_pairs: table?.impostorPairs ?? null,
    levels: table?.levels ?? null,
    far: table?.far ?? [],
  };
}
