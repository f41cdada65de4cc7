import { Injectable } from '@nestjs/common';
import type { SecurityLevel } from '../common/operating-point.js';
import { AppConfig } from '../config/app-config.js';
import { Calibration } from '../face-engine/calibration.js';
import { FaceAnalyser } from '../face-engine/face-analyser.js';

/** The operating points a pair's verdict is judged by, as the service applies them now. */
export interface CalibrationReport {
  model: string;
  /** FACE_MATCH_THRESHOLD: what compare and verify apply when the client names no level. */
  defaultThreshold: number;
  /** Null when the shipped table was measured on another model or pipeline. */
  table: {
    measuredOn: string;
    impostorPairs: number;
    levels: Record<SecurityLevel, number>;
    far: [distance: number, rate: number][];
  } | null;
}

@Injectable()
export class CalibrationReportService {
  constructor(
    private readonly calibration: Calibration,
    private readonly analyser: FaceAnalyser,
    private readonly config: AppConfig,
  ) {}

  report(): CalibrationReport {
    const table = this.calibration.current();
    return {
      model: this.analyser.model,
      defaultThreshold: this.config.env.FACE_MATCH_THRESHOLD,
      table: table
        ? {
            measuredOn: table.measuredOn,
            impostorPairs: table.impostorPairs,
            levels: table.thresholds,
            far: table.far,
          }
        : null,
    };
  }
}
