import { Injectable, Logger } from '@nestjs/common';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidOperatingPointError } from '../common/errors.js';
import type { OperatingPoint, SecurityLevel } from '../common/operating-point.js';
import { projectRoot } from '../common/project-root.js';
import { FaceEngine } from './face-engine.service.js';

/**
 * What `npm run calibrate -- --write-table` measured for one model and pipeline: the threshold of
 * each security level, and the false accept rate at each distance (the share of different-person
 * pairs at least that close), in steps, distance ascending.
 */
export interface CalibrationTable {
  model: string;
  measuredOn: string;
  impostorPairs: number;
  thresholds: Record<SecurityLevel, number>;
  far: [distance: number, rate: number][];
}

/** Shipped with the code, beside the sums of the weights it was measured with. */
export const CALIBRATION_FILE = join(projectRoot(), 'models', 'calibration.json');

/** The false accept rate at `distance` from `table`, linear between its steps. */
export function falseAcceptRate(table: CalibrationTable, distance: number): number {
  const { far } = table;
  if (distance <= far[0][0]) return far[0][1];
  for (let index = 1; index < far.length; index++) {
    const [to, rate] = far[index];
    if (distance <= to) {
      const [from, before] = far[index - 1];
      return before + ((distance - from) / (to - from)) * (rate - before);
    }
  }
  return far[far.length - 1][1];
}

/**
 * The operating points of the running model: thresholds by security level, and the false accept
 * rate a distance stands for. Absent (with a warning) when the shipped table was measured on
 * another model or pipeline.
 */
@Injectable()
export class Calibration {
  private readonly logger = new Logger(Calibration.name);
  private readonly table?: CalibrationTable;
  private checked?: CalibrationTable | null;

  constructor(private readonly engine: FaceEngine) {
    if (existsSync(CALIBRATION_FILE)) {
      this.table = JSON.parse(readFileSync(CALIBRATION_FILE, 'utf8')) as CalibrationTable;
    }
  }

  /** The table of the running model, if the shipped one is. */
  current(): CalibrationTable | undefined {
    if (this.checked === undefined) {
      this.checked = this.table?.model === this.engine.model ? this.table : null;
      if (!this.checked) {
        this.logger.warn(
          `No calibration for model ${this.engine.model} (${CALIBRATION_FILE} has ` +
            `${this.table?.model ?? 'none'}): security levels and false accept rates are off; ` +
            'run npm run calibrate -- --write-table',
        );
      }
    }
    return this.checked ?? undefined;
  }

  /** The threshold a client's choice stands for; `fallback` when it made none. */
  threshold({ threshold, security }: OperatingPoint, fallback: number): number {
    if (threshold !== undefined && security !== undefined) {
      throw new InvalidOperatingPointError('Give either threshold or security, not both');
    }
    if (security === undefined) return threshold ?? fallback;
    const table = this.current();
    if (!table) {
      throw new InvalidOperatingPointError(
        `No calibration for model ${this.engine.model}: security levels are unavailable; give a threshold`,
      );
    }
    return table.thresholds[security];
  }

  falseAcceptRate(distance: number): number | undefined {
    const table = this.current();
    return table && falseAcceptRate(table, distance);
  }
}
