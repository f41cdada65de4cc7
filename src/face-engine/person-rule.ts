import { cosineDistance } from '../face-engine/cosine-distance.js';

/**
 * How a person's references combine into one distance to a probe face: `closest`, the nearest
 * reference; `mean2`, the mean of the two nearest distances; `mean`, the mean of all of them;
 * `centroid`, the distance to the mean of the references' unit-length embeddings. The service uses
 * the one `npm run person-level` measured best (models/calibration.json names it).
 */
export const PERSON_RULES = ['closest', 'mean2', 'mean', 'centroid'] as const;
export type PersonRule = (typeof PERSON_RULES)[number];

/** The rule where the model has no person-level calibration to name one. */
export const DEFAULT_PERSON_RULE: PersonRule = 'centroid';

/** The mean direction of `embeddings`, each counted alike whatever its length. */
export function centroid(embeddings: readonly ArrayLike<number>[]): Float64Array {
  if (embeddings.length === 0) throw new RangeError('no embedding to average');
  const mean = new Float64Array(embeddings[0].length);
  for (const embedding of embeddings) {
    let norm = 0;
    for (let index = 0; index < embedding.length; index++) norm += embedding[index] ** 2;
    if (norm === 0) throw new RangeError('cannot average a zero embedding');
    const scale = 1 / Math.sqrt(norm) / embeddings.length;
    for (let index = 0; index < embedding.length; index++) {
      mean[index] += embedding[index] * scale;
    }
  }
  return mean;
}

/** The mean of the `count` smallest of `distances`. */
function meanOfSmallest(distances: number[], count: number): number {
  const smallest = [...distances].sort((a, b) => a - b).slice(0, count);
  return smallest.reduce((sum, distance) => sum + distance, 0) / smallest.length;
}

/** The distance from `probe` to a person enrolled as `references`, by `rule`. */
export function personDistance(
  probe: ArrayLike<number>,
  references: readonly ArrayLike<number>[],
  rule: PersonRule,
): number {
  if (references.length === 0) throw new RangeError('a person without references');
  if (rule === 'centroid') return cosineDistance(probe, centroid(references));
  const distances = references.map((reference) => cosineDistance(probe, reference));
  if (rule === 'closest') return Math.min(...distances);
  return meanOfSmallest(distances, rule === 'mean2' ? 2 : distances.length);
}
