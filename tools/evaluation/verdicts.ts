/**
 * Verification figures over scored pairs. A pair the service refuses (a photo it would not take)
 * counts as a wrong answer in accuracy whatever its label, as a reject in TAR and FRR, and never
 * as a false accept.
 */
export interface ScoredPair {
  distance: number;
  same: boolean;
  refused: boolean;
  /** LFW's fold, for sets that have them. */
  fold?: number;
}

export interface ThresholdRow {
  threshold: number;
  pairs: number;
  refused: number;
  falseAccepts: number;
  falseRejects: number;
  /** Share of different-person pairs said to be the same. */
  falseAcceptRate: number;
  /** Share of same-person pairs not said to be the same (refusals included). */
  falseRejectRate: number;
  accuracy: number;
}

export function evaluate(pairs: ScoredPair[], threshold: number): ThresholdRow {
  let same = 0;
  let falseAccepts = 0;
  let falseRejects = 0;
  let refused = 0;
  let wrong = 0;
  for (const pair of pairs) {
    const accepted = !pair.refused && pair.distance <= threshold;
    if (pair.refused) refused++;
    if (pair.same) {
      same++;
      if (!accepted) {
        falseRejects++;
        wrong++;
      }
    } else if (accepted) {
      falseAccepts++;
      wrong++;
    } else if (pair.refused) {
      wrong++;
    }
  }
  const different = pairs.length - same;
  return {
    threshold,
    pairs: pairs.length,
    refused,
    falseAccepts,
    falseRejects,
    falseAcceptRate: different === 0 ? 0 : falseAccepts / different,
    falseRejectRate: same === 0 ? 0 : falseRejects / same,
    accuracy: pairs.length === 0 ? 1 : 1 - wrong / pairs.length,
  };
}

/**
 * The threshold of best accuracy on `pairs`: the midpoint of the first best run of gaps between
 * consecutive distinct distances.
 */
export function bestAccuracyThreshold(pairs: ScoredPair[]): number {
  const scored = pairs.filter((pair) => !pair.refused).sort((a, b) => a.distance - b.distance);
  if (scored.length === 0) return 0;
  const cut = (index: number) =>
    index === 0
      ? scored[0].distance - 1e-6
      : index === scored.length
        ? scored[index - 1].distance + 1e-6
        : (scored[index - 1].distance + scored[index].distance) / 2;
  // Accepting nothing gets every different-person pair right.
  let correct = scored.filter((pair) => !pair.same).length;
  let best = correct;
  let bestFrom = 0;
  let bestTo = 0;
  for (let index = 0; index < scored.length;) {
    let next = index;
    while (next < scored.length && scored[next].distance === scored[index].distance) {
      correct += scored[next].same ? 1 : -1;
      next++;
    }
    if (correct > best) {
      best = correct;
      bestFrom = next;
      bestTo = next;
    } else if (correct === best && bestTo === index) {
      bestTo = next;
    }
    index = next;
  }
  return (cut(bestFrom) + cut(bestTo)) / 2;
}

export interface FoldAccuracy {
  mean: number;
  sd: number;
  folds: (ThresholdRow & { fold: number })[];
}

/** As LFW reports it: each fold scored at the best-accuracy threshold of the other folds. */
export function foldAccuracy(pairs: ScoredPair[]): FoldAccuracy {
  const folds = [...new Set(pairs.map((pair) => pair.fold ?? 0))].sort((a, b) => a - b);
  const results = folds.map((fold) => {
    const threshold = bestAccuracyThreshold(pairs.filter((pair) => pair.fold !== fold));
    return {
      fold,
      ...evaluate(
        pairs.filter((pair) => pair.fold === fold),
        threshold,
      ),
    };
  });
  const accuracies = results.map((row) => row.accuracy);
  const mean = accuracies.reduce((sum, value) => sum + value, 0) / accuracies.length;
  const sd = Math.sqrt(
    accuracies.reduce((sum, value) => sum + (value - mean) ** 2, 0) /
      Math.max(1, accuracies.length - 1),
  );
  return { mean, sd, folds: results };
}

/** How many of the ascending distances `sorted` are at or below `at` (the pairs it accepts). */
export function countAtOrBelow(sorted: ArrayLike<number>, at: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] <= at) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The largest threshold at which at most `rate` of `total` different-person pairs are accepted:
 * just under the first impostor distance that would break it. `impostors` are the distances of
 * the compared different-person pairs; `total` counts the refused ones too.
 */
export function thresholdForFar(
  impostors: ArrayLike<number>,
  rate: number,
  total = impostors.length,
): number {
  const sorted = Float64Array.from(impostors).sort();
  const allowed = Math.floor(rate * total + 1e-9);
  return allowed < sorted.length ? sorted[allowed] - 1e-6 : Number.POSITIVE_INFINITY;
}

/** The share of same-person pairs accepted at the largest threshold with FAR <= `rate`. */
export function acceptRateAtFar(
  pairs: ScoredPair[],
  rate: number,
): { threshold: number; acceptRate: number } {
  const different = pairs.filter((pair) => !pair.same);
  const impostors = different.filter((pair) => !pair.refused).map((pair) => pair.distance);
  const threshold = thresholdForFar(impostors, rate, different.length);
  const same = pairs.filter((pair) => pair.same);
  const accepted = same.filter((pair) => !pair.refused && pair.distance <= threshold).length;
  return { threshold, acceptRate: same.length === 0 ? 0 : accepted / same.length };
}
