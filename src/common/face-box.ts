/** A face's bounding box in the pixel coordinates of the upright (EXIF-rotated) image. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Intersection over union of two boxes: 0 when they do not overlap, 1 when they are the same. */
export function intersectionOverUnion(a: FaceBox, b: FaceBox): number {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (width <= 0 || height <= 0) return 0;
  const shared = width * height;
  return shared / (a.width * a.height + b.width * b.height - shared);
}
