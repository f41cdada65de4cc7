import { Injectable, Logger } from '@nestjs/common';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidOperatingPointError } from '../common/errors.js';
import {
  SEARCH_SECURITY_LEVELS,
  type OperatingPoint,
  type SecurityLevel,
} from '../common/operating-point.js';
import { projectRoot } from '../common/project-root.js';
import { FaceAnalyser } from './face-analyser.js';

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
 * The per-pair false accept rate at which a search of `size` references gives a stranger `fpir`
 * chance of a match, if the stranger's distances to the references were independent:
 * 1 - (1 - fpir)^(1/size), computed without the cancellation of 1 - (something near 1). Measured
 * on lfw-dev they are not quite (some strangers are close to many people), so a gallery of 1,000
 * or more gets about half the FPIR it is aimed at: the error is on the safe side.
 */
export function pairRateForFpir(fpir: number, size: number): number {
  return -Math.expm1(Math.log1p(-fpir) / Math.max(size, 1));
}

/** The chance that at least one of `size` independent pairs, each at `rate`, matches. */
export function fpirForPairRate(rate: number, size: number): number {
  return -Math.expm1(Math.max(size, 1) * Math.log1p(-Math.min(rate, 1)));
}

/**
 * The largest distance at which the table's false accept rate (linear between its steps, as
 * `falseAcceptRate` reads it) is at most `rate`; the table's first distance when even that is
 * above it, its last when none is.
 */
export function thresholdForPairRate(far: CalibrationTable['far'], rate: number): number {
  const above = far.findIndex(([, at]) => at > rate);
  if (above === 0) return far[0][0];
  if (above === -1) return far[far.length - 1][0];
  const [from, before] = far[above - 1];
  const [to, after] = far[above];
  return from + ((rate - before) / (after - before)) * (to - from);
}

/** The threshold a search applies, and the false positive identification rate it was chosen for. */
export interface SearchOperatingPoint {
  threshold: number;
  /** Null when the client gave the threshold, or no calibration exists for the model. */
  targetFpir: number | null;
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

  constructor(private readonly engine: FaceAnalyser) {
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

  /**
   * Refuses a choice no threshold can come of: both a threshold and a level, or a level for a
   * model without calibration. Returns the table a level is read from.
   */
  check({ threshold, security }: OperatingPoint): CalibrationTable | undefined {
    if (threshold !== undefined && security !== undefined) {
      throw new InvalidOperatingPointError('threshold and security');
    }
    const table = this.current();
    if (security !== undefined && !table) {
      throw new InvalidOperatingPointError({ uncalibratedModel: this.engine.model });
    }
    return table;
  }

  /** The threshold a client's choice stands for; `fallback` when it made none. */
  threshold(point: OperatingPoint, fallback: number): number {
    const table = this.check(point);
    const { threshold, security } = point;
    return security === undefined || !table ? (threshold ?? fallback) : table.thresholds[security];
  }

  /**
   * The threshold for a search of `size` references: the client's `threshold`; else the one at
   * which a stranger's search of that many has the chance its `security` level names, or
   * `defaultFpir`, but no looser than `fallback` (a pair's threshold), which also applies where
   * the model has no calibration.
   */
  searchThreshold(
    point: OperatingPoint,
    size: number,
    defaultFpir: number,
    fallback: number,
  ): SearchOperatingPoint {
    const table = this.check(point);
    const { threshold, security } = point;
    if (threshold !== undefined) return { threshold, targetFpir: null };
    if (!table) return { threshold: fallback, targetFpir: null };
    const targetFpir = security === undefined ? defaultFpir : SEARCH_SECURITY_LEVELS[security];
    const rate = pairRateForFpir(targetFpir, size);
    // Rounded down: a threshold that reads well must not let more strangers through.
    const derived = Math.floor(thresholdForPairRate(table.far, rate) * 1e5) / 1e5;
    // By default a search is never judged more leniently than a pair of photos: in a gallery of
    // one or two the target alone would allow more than FACE_MATCH_THRESHOLD does.
    return {
      threshold: security === undefined ? Math.min(derived, fallback) : derived,
      targetFpir,
    };
  }

  /**
   * The estimated chance that a stranger's search of `size` references returns a match at least
   * as close as `distance`, where the model is calibrated.
   */
  searchFalsePositiveRate(distance: number, size: number): number | undefined {
    const table = this.current();
    return table && fpirForPairRate(falseAcceptRate(table, distance), size);
  }

  falseAcceptRate(distance: number): number | undefined {
    const table = this.current();
    return table && falseAcceptRate(table, distance);
  }
}
