/** A face's bounding box in the pixel coordinates of the upright (EXIF-rotated) image. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}
