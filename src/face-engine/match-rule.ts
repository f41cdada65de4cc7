import type { Calibration } from './calibration.js';

/** Whether a face matches, and how often different people come as close. */
export interface Judgement {
  verified: boolean;
  /** The share of different people's pairs (or persons) at least this close; where calibrated. */
  far: number | undefined;
}

/** Whether a face at `distance` matches under `threshold`: inclusive, as DeepFace's verify. */
export function isMatch(distance: number, threshold: number): boolean {
  return distance <= threshold;
}

/**
 * The match rule, written once for compare, verify, person verify and identification: a face
 * matches at `distance` when it is within `threshold` (`isMatch`). Its `far` comes from the pair
 * table, or from the person table for `references` references when a person (several references
 * combined) was judged.
 */
export function judge(
  distance: number,
  threshold: number,
  calibration: Pick<Calibration, 'falseAcceptRate' | 'personFalseAcceptRate'>,
  references?: number,
): Judgement {
  return {
    verified: isMatch(distance, threshold),
    far:
      references === undefined
        ? calibration.falseAcceptRate(distance)
        : calibration.personFalseAcceptRate(distance, references),
  };
}
