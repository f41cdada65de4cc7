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
import { AppConfig } from '../config/app-config.js';
import type { FaceModelSetting } from '../config/environment.js';
import { FaceAnalyser } from './face-analyser.js';
import { falseAcceptRate } from './false-accept-rate.js';
import type { CohortRule } from './cohort-rule.js';
import { PERSON_RULES, type PersonRule } from './person-rule.js';

export { falseAcceptRate };

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
  /** The person-level tables, where `npm run person-level -- --write-person-table` wrote them. */
  person?: PersonCalibration;
  /** The search by person's cohort rule, where `npm run open-set-rules -- --write-search-table` wrote it. */
  search?: SearchCalibration;
}

/**
 * The reference counts the person-level tables are measured for; a person with more references
 * is judged by the last (more references only bring the genuine distance down, so the rate of the
 * last count is the cautious estimate).
 */
export const PERSON_REFERENCE_COUNTS = [1, 2, 3] as const;

/**
 * What `npm run person-level -- --write-person-table` measured: how a person's references combine
 * (`rule`), and per number of references the rate at which that combined distance lets another
 * person through, with the thresholds of the security levels. The closest of three references
 * lets more impostors through than one at the same distance, so a person's verdict reads its own
 * table, not the pair table.
 */
export interface PersonCalibration {
  rule: PersonRule;
  measuredOn: string;
  tables: PersonTable[];
}

export interface PersonTable {
  references: number;
  impostorTrials: number;
  thresholds: Record<SecurityLevel, number>;
  far: [distance: number, rate: number][];
}

/**
 * What `npm run open-set-rules -- --write-search-table` measured for the search by person
 * (`/identify?group_by=subject`) under the cohort rule: per gallery size in people, the share of
 * searches by people not in the gallery whose nearest person scores at or below each score. A
 * stranger's best score depends on the whole gallery (the cohort is part of it), so the rate is
 * measured per gallery size, not derived from a per-pair rate as the other tables are.
 */
export interface SearchCalibration extends CohortRule {
  rule: 'cohort';
  measuredOn: string;
  /** Gallery sizes ascending. */
  galleries: SearchTable[];
}

export interface SearchTable {
  people: number;
  /** Non-mated searches measured; the smallest rate the table can tell is one of them. */
  searches: number;
  /** [score, FPIR], score ascending: never 0, one search being the least the table can tell. */
  fpir: [score: number, rate: number][];
}

/**
 * The reasons `calibration` cannot be used: each table's false accept rate must rise with the
 * distance, its levels be ordered, and every reference count be present. Empty when it is sound.
 */
export function calibrationProblems(calibration: CalibrationTable): string[] {
  const problems: string[] = [];
  const checkTable = (name: string, table: Pick<PersonTable, 'far' | 'thresholds'>) => {
    table.far.forEach(([distance, rate], index) => {
      if (!(rate >= 0 && rate <= 1)) problems.push(`${name}: rate ${rate} at ${distance}`);
      if (index === 0) return;
      const [before, rateBefore] = table.far[index - 1];
      if (!(distance > before)) problems.push(`${name}: distances do not ascend at ${distance}`);
      if (rate < rateBefore) problems.push(`${name}: the rate falls at ${distance}`);
    });
    const { high, medium, low } = table.thresholds;
    if (!(high <= medium && medium <= low)) problems.push(`${name}: levels out of order`);
  };
  checkTable('pair table', calibration);
  const { person } = calibration;
  if (person) {
    if (!PERSON_RULES.includes(person.rule)) problems.push(`person: unknown rule ${person.rule}`);
    for (const count of PERSON_REFERENCE_COUNTS) {
      const table = person.tables.find((entry) => entry.references === count);
      if (table) checkTable(`person table for ${count}`, table);
      else problems.push(`person: no table for ${count} references`);
    }
  }
  const { search } = calibration;
  if (search) {
    if (search.rule !== 'cohort') problems.push(`search: unknown rule ${String(search.rule)}`);
    if (!(search.cohort >= 1 && search.weight >= 0)) problems.push('search: bad cohort or weight');
    if (search.galleries.length === 0) problems.push('search: no gallery measured');
    search.galleries.forEach((gallery, index) => {
      const before = search.galleries[index - 1];
      if (before && !(gallery.people > before.people)) {
        problems.push(`search: gallery sizes do not ascend at ${gallery.people}`);
      }
      // The same checks as a false accept rate table's, less the levels it has none of.
      const levels = { high: 0, medium: 0, low: 0 };
      checkTable(`search table for ${gallery.people}`, { far: gallery.fpir, thresholds: levels });
    });
  }
  return problems;
}

/** The person-level table for a person with `references` references. */
export function personTable(person: PersonCalibration, references: number): PersonTable {
  const count = Math.min(Math.max(references, 1), PERSON_REFERENCE_COUNTS.at(-1)!);
  return person.tables.find((table) => table.references === count)!;
}

/**
 * `read(table)` at a gallery of `people`, from the measured sizes: linear in the logarithm of the
 * size between two of them, the smallest's below them, and beyond the largest extrapolated along
 * the last two (an estimate that grows less certain the further the gallery is beyond them).
 */
function acrossGalleries(
  search: SearchCalibration,
  people: number,
  read: (table: SearchTable) => number,
): number {
  const { galleries } = search;
  if (galleries.length === 1 || people <= galleries[0].people) return read(galleries[0]);
  const above = galleries.findIndex((gallery) => gallery.people >= people);
  const upper = above === -1 ? galleries.length - 1 : above;
  const [from, to] = [galleries[upper - 1], galleries[upper]];
  const share = Math.log(people / from.people) / Math.log(to.people / from.people);
  return read(from) + share * (read(to) - read(from));
}

/** The estimated chance that a stranger's search of `people` persons has one at `score` or below. */
export function cohortFalsePositiveRate(
  search: SearchCalibration,
  score: number,
  people: number,
): number {
  const rate = acrossGalleries(search, people, (table) =>
    falseAcceptRate({ far: table.fpir }, score),
  );
  return Math.min(Math.max(rate, 0), 1);
}

/**
 * The largest score at which a stranger's search of `people` persons matches with `fpir` chance:
 * the inverse of `cohortFalsePositiveRate` at that size (its rate made to rise with the score where
 * reading between sizes would make it dip), so that the threshold and the rate it answers agree.
 */
export function cohortScoreThreshold(
  search: SearchCalibration,
  fpir: number,
  people: number,
): number {
  const scores = [
    ...new Set(search.galleries.flatMap((gallery) => gallery.fpir.map(([score]) => score))),
  ].sort((a, b) => a - b);
  let highest = 0;
  const atSize = scores.map((score): [number, number] => {
    highest = Math.max(highest, cohortFalsePositiveRate(search, score, people));
    return [score, highest];
  });
  return thresholdForPairRate(atSize, fpir);
}

/** Shipped with the code, beside the sums of the weights it was measured with: dlib's. */
export const CALIBRATION_FILE = join(projectRoot(), 'models', 'calibration.json');

/** The shipped calibration of each FACE_MODEL: dlib's CALIBRATION_FILE, the others beside it. */
export function calibrationFile(model: FaceModelSetting): string {
  return model === 'dlib'
    ? CALIBRATION_FILE
    : join(projectRoot(), 'models', `calibration.${model}.json`);
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
  private readonly file: string;
  private readonly table?: CalibrationTable;
  private checked?: CalibrationTable | null;

  constructor(
    private readonly engine: FaceAnalyser,
    config: AppConfig,
  ) {
    this.file = calibrationFile(config.env.FACE_MODEL);
    if (existsSync(this.file)) {
      this.table = JSON.parse(readFileSync(this.file, 'utf8')) as CalibrationTable;
      // A broken table would give wrong rates on every answer: refuse to start instead.
      const problems = calibrationProblems(this.table);
      if (problems.length > 0) {
        throw new Error(`${this.file} is unusable: ${problems.join('; ')}`);
      }
    }
  }

  /** The table of the running model, if the shipped one is. */
  current(): CalibrationTable | undefined {
    if (this.checked === undefined) {
      this.checked = this.table?.model === this.engine.model ? this.table : null;
      if (!this.checked) {
        this.logger.warn(
          `No calibration for model ${this.engine.model} (${this.file} has ` +
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

  /** The person-level tables of the running model, if the shipped calibration has them. */
  person(): PersonCalibration | undefined {
    return this.current()?.person;
  }

  /**
   * The threshold a verdict on a person with `references` references applies: the client's
   * `threshold`; the person table's for a `security` level; by default the distance at which the
   * person table lets through the share of impostors `fallback` (FACE_MATCH_THRESHOLD) lets
   * through for a pair, so that judging a person is no laxer than judging a photo, and never
   * above `fallback`. `fallback` itself where the model has no person tables.
   */
  personThreshold(point: OperatingPoint, references: number, fallback: number): number {
    const table = this.check(point);
    const { threshold, security } = point;
    if (threshold !== undefined) return threshold;
    if (!table?.person) {
      if (security !== undefined) {
        throw new InvalidOperatingPointError({ uncalibratedModel: this.engine.model });
      }
      return fallback;
    }
    const person = personTable(table.person, references);
    if (security !== undefined) return person.thresholds[security];
    // Rounded down: a threshold that reads well must not let more impostors through. Never
    // looser than a pair's: one reference, measured on other trials, would otherwise give 0.0798
    // where compare_with_reference gives 0.079 for the same photo.
    const rate = falseAcceptRate(table, fallback);
    return Math.min(Math.floor(thresholdForPairRate(person.far, rate) * 1e5) / 1e5, fallback);
  }

  /** The share of other people a person with `references` references is this close to. */
  personFalseAcceptRate(distance: number, references: number): number | undefined {
    const person = this.person();
    return person && falseAcceptRate(personTable(person, references), distance);
  }

  /**
   * `searchThreshold` for a search by person (`/identify?group_by=subject`): `people` persons are
   * searched, and a person with `references` references is judged by the person table for that
   * many, so each person's threshold holds a stranger's chance of matching anyone to the target.
   * By default never looser than that person's own verification default.
   */
  personSearchThreshold(
    point: OperatingPoint,
    people: number,
    references: number,
    defaultFpir: number,
    fallback: number,
  ): SearchOperatingPoint {
    const table = this.check(point);
    if (point.threshold !== undefined || !table?.person) {
      return this.searchThreshold(point, people, defaultFpir, fallback);
    }
    const targetFpir =
      point.security === undefined ? defaultFpir : SEARCH_SECURITY_LEVELS[point.security];
    const far = personTable(table.person, references).far;
    const derived =
      Math.floor(thresholdForPairRate(far, pairRateForFpir(targetFpir, people)) * 1e5) / 1e5;
    return {
      threshold:
        point.security === undefined
          ? Math.min(derived, this.personThreshold({}, references, fallback))
          : derived,
      targetFpir,
    };
  }

  /** The cohort rule of the search by person, where the running model's calibration has one. */
  search(): SearchCalibration | undefined {
    return this.current()?.search;
  }

  /**
   * The score threshold of a search by person under the cohort rule, for a search of `people`
   * persons at the chosen target FPIR. Undefined where the client gave a threshold (a distance,
   * applied as it is) or the model has no cohort calibration.
   */
  cohortSearchThreshold(
    point: OperatingPoint,
    people: number,
    defaultFpir: number,
  ): (SearchOperatingPoint & { targetFpir: number }) | undefined {
    const search = this.check(point)?.search;
    if (point.threshold !== undefined || !search) return undefined;
    const targetFpir =
      point.security === undefined ? defaultFpir : SEARCH_SECURITY_LEVELS[point.security];
    // Rounded down: a threshold that reads well must not let more strangers through.
    const threshold = Math.floor(cohortScoreThreshold(search, targetFpir, people) * 1e5) / 1e5;
    return { threshold, targetFpir };
  }

  /**
   * The estimated chance that a stranger's search of `people` persons finds a person with
   * `references` references at least as close as `distance`.
   */
  personSearchFalsePositiveRate(
    distance: number,
    people: number,
    references: number,
  ): number | undefined {
    const rate = this.personFalseAcceptRate(distance, references);
    return rate === undefined
      ? this.searchFalsePositiveRate(distance, people)
      : fpirForPairRate(rate, people);
  }
}
