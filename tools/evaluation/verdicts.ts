/** Distances of labelled pairs, and the error rates a threshold gives on them. */
export interface ScoredPair {
  distance: number;
  same: boolean;
}

export interface ThresholdRow {
  threshold: number;
  pairs: number;
  correct: number;
  falseAccepts: number;
  falseRejects: number;
  /** Share of different-person pairs said to be the same. */
  falseAcceptRate: number;
  /** Share of same-person pairs said to be different. */
  falseRejectRate: number;
  accuracy: number;
}

export function evaluate(pairs: ScoredPair[], threshold: number): ThresholdRow {
  let falseAccepts = 0;
  let falseRejects = 0;
  let same = 0;
  for (const pair of pairs) {
    const verified = pair.distance <= threshold;
    if (pair.same) {
      same++;
      if (!verified) falseRejects++;
    } else if (verified) {
      falseAccepts++;
    }
  }
  const different = pairs.length - same;
  return {
    threshold,
    pairs: pairs.length,
    correct: pairs.length - falseAccepts - falseRejects,
    falseAccepts,
    falseRejects,
    falseAcceptRate: different === 0 ? 0 : falseAccepts / different,
    falseRejectRate: same === 0 ? 0 : falseRejects / same,
    accuracy: pairs.length === 0 ? 1 : (pairs.length - falseAccepts - falseRejects) / pairs.length,
  };
}

/**
 * The largest threshold at which no set's false accept rate exceeds `maxFalseAcceptRate`: a wrong
 * "same person" costs more than a request for a better photo, and no single set may pay for the
 * others. Returns undefined when even the smallest candidate breaks the cap.
 */
export function chooseThreshold(
  sets: ScoredPair[][],
  candidates: number[],
  maxFalseAcceptRate: number,
): number | undefined {
  let chosen: number | undefined;
  for (const threshold of [...candidates].sort((a, b) => a - b)) {
    if (sets.every((pairs) => evaluate(pairs, threshold).falseAcceptRate <= maxFalseAcceptRate)) {
      chosen = threshold;
    } else {
      break;
    }
  }
  return chosen;
}
