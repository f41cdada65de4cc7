/**
 * Cohort normalisation of a search by person (`/identify?group_by=subject`): a face is judged by
 * its distance to a person minus `weight` times the mean distance to its `cohort` nearest people
 * of the gallery searched. Some faces (a common look, a poor photo) are near many people at
 * once; a fixed distance threshold lets their searches name a stranger, whereas the cohort moves
 * the threshold away from them and towards the distinctive faces. On lfw-dev it raises TPIR at
 * FPIR 1% in a gallery of 1,415 people from 73.9% to 83% with up to three photos per person
 * (docs/recognition.md, "Cohort normalisation"; `npm run open-set-rules` measures it).
 */
export interface CohortRule {
  /** How many of the nearest people the mean is taken over (fewer when the gallery is smaller). */
  cohort: number;
  /** How much of that mean is taken off each distance. */
  weight: number;
}

/** The mean of the `cohort` smallest `distances` (all of them when there are fewer). */
export function cohortMean(distances: ArrayLike<number>, cohort: number): number {
  if (distances.length === 0) throw new RangeError('an empty gallery has no cohort');
  if (!(cohort >= 1)) throw new RangeError(`a cohort of ${cohort}`);
  const nearest = Float64Array.from(distances).sort().subarray(0, cohort);
  return nearest.reduce((sum, distance) => sum + distance, 0) / nearest.length;
}

/** The normalised score of `distance` for a face whose cohort mean is `mean`: lower is closer. */
export function cohortScore(distance: number, mean: number, rule: CohortRule): number {
  return distance - rule.weight * mean;
}

/** The distance a score threshold stands for, for a face whose cohort mean is `mean`. */
export function cohortDistanceThreshold(
  scoreThreshold: number,
  mean: number,
  rule: CohortRule,
): number {
  return scoreThreshold + rule.weight * mean;
}
