/** 1 - cos(a, b): 0 for the same direction, 1 for orthogonal vectors, 2 for opposite ones. */
export function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new RangeError(`embeddings differ in length: ${a.length} and ${b.length}`);
  }
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    dot += a[index] * b[index];
    normA += a[index] * a[index];
    normB += b[index] * b[index];
  }
  if (normA === 0 || normB === 0) throw new RangeError('cannot compare a zero embedding');
  return 1 - dot / Math.sqrt(normA * normB);
}
