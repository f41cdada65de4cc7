/**
 * Greedy non-maximum suppression over SSD's boxes, with exactly the semantics of face-api's own
 * (`ssdMobilenetv1/nonMaxSuppression.ts`): candidates above `scoreThreshold`, best first (stable
 * order for equal scores), each kept unless it overlaps an already kept box by more than
 * `iouThreshold`. face-api's version turns the whole box tensor into nested arrays for every
 * single overlap test (`arraySync()` inside `IOU`); this one reads the flat
 * `[ymin, xmin, ymax, xmax]` array the tensor already holds.
 */
export function nonMaxSuppression(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  maxOutputSize: number,
  iouThreshold: number,
  scoreThreshold: number,
): number[] {
  const candidates: number[] = [];
  for (let index = 0; index < scores.length; index++) {
    if (scores[index] > scoreThreshold) candidates.push(index);
  }
  // Array.prototype.sort is stable, as the original's sort of {score, boxIndex} objects.
  candidates.sort((a, b) => scores[b] - scores[a]);
  const outputSize = Math.min(maxOutputSize, scores.length);
  const selected: number[] = [];
  for (const candidate of candidates) {
    if (selected.length >= outputSize) break;
    if (selected.every((kept) => overlap(boxes, candidate, kept) <= iouThreshold)) {
      selected.push(candidate);
    }
  }
  return selected;
}

/** Intersection over union of boxes `i` and `j`; 0 when either has no area. */
export function overlap(boxes: ArrayLike<number>, i: number, j: number): number {
  const yminI = Math.min(boxes[4 * i], boxes[4 * i + 2]);
  const xminI = Math.min(boxes[4 * i + 1], boxes[4 * i + 3]);
  const ymaxI = Math.max(boxes[4 * i], boxes[4 * i + 2]);
  const xmaxI = Math.max(boxes[4 * i + 1], boxes[4 * i + 3]);
  const yminJ = Math.min(boxes[4 * j], boxes[4 * j + 2]);
  const xminJ = Math.min(boxes[4 * j + 1], boxes[4 * j + 3]);
  const ymaxJ = Math.max(boxes[4 * j], boxes[4 * j + 2]);
  const xmaxJ = Math.max(boxes[4 * j + 1], boxes[4 * j + 3]);
  const areaI = (ymaxI - yminI) * (xmaxI - xminI);
  const areaJ = (ymaxJ - yminJ) * (xmaxJ - xminJ);
  if (areaI <= 0 || areaJ <= 0) return 0;
  const intersection =
    Math.max(Math.min(ymaxI, ymaxJ) - Math.max(yminI, yminJ), 0) *
    Math.max(Math.min(xmaxI, xmaxJ) - Math.max(xminI, xminJ), 0);
  return intersection / (areaI + areaJ - intersection);
}
