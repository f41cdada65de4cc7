/** An 8-bit RGB image, row-major, 3 bytes per pixel. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export type Point = [x: number, y: number];

/**
 * A copy of `image` with a black border of `fraction` x its longer side on every side. Tight crops
 * (ID photos, avatars, the ORL faces) fill the frame more than the scenes the SSD detector was
 * trained on; a border gives them the context it expects.
 */
export function padBlack(image: RgbImage, fraction: number): { image: RgbImage; offset: number } {
  const offset = Math.round(fraction * Math.max(image.width, image.height));
  const width = image.width + 2 * offset;
  const height = image.height + 2 * offset;
  const data = new Uint8Array(width * height * 3);
  const row = image.width * 3;
  for (let y = 0; y < image.height; y++) {
    data.set(image.data.subarray(y * row, (y + 1) * row), ((y + offset) * width + offset) * 3);
  }
  return { image: { data, width, height }, offset };
}

/** Where a face sits, derived from its 68 landmarks the way dlib (and face-api) align faces. */
export interface FaceGeometry {
  /** Side of the square face chip, in source pixels. */
  size: number;
  /** Roll: the angle of the line through the eyes, in radians. */
  angle: number;
  /** Centre of the rotated chip. */
  centre: Point;
  /** The upright chip: left, top, side. */
  box: [left: number, top: number, side: number];
}

/** The mean of landmarks `from` up to `to` (the 68-point scheme's ranges: eyes, mouth, ...). */
export function mean(points: Point[], from: number, to: number): Point {
  let x = 0;
  let y = 0;
  for (let index = from; index < to; index++) {
    x += points[index][0];
    y += points[index][1];
  }
  return [x / (to - from), y / (to - from)];
}

/**
 * The chip geometry of face-api's `FaceLandmarks.alignDlib` (eyes 36-47, mouth 48-67), without
 * clipping to the image, plus the roll angle so the chip can be turned upright.
 */
export function faceGeometry(landmarks: Point[]): FaceGeometry {
  const leftEye = mean(landmarks, 36, 42);
  const rightEye = mean(landmarks, 42, 48);
  const mouth = mean(landmarks, 48, 68);
  const centre: Point = [
    (leftEye[0] + rightEye[0] + mouth[0]) / 3,
    (leftEye[1] + rightEye[1] + mouth[1]) / 3,
  ];
  const distance = (a: Point, b: Point) => Math.hypot(a[0] - b[0], a[1] - b[1]);
  const size = Math.floor((distance(mouth, leftEye) + distance(mouth, rightEye)) / 2 / 0.45);
  const angle = Math.atan2(rightEye[1] - leftEye[1], rightEye[0] - leftEye[0]);
  return {
    size,
    angle,
    box: [centre[0] - 0.5 * size, centre[1] - 0.43 * size, size],
    centre: [centre[0] - 0.07 * size * Math.sin(angle), centre[1] + 0.07 * size * Math.cos(angle)],
  };
}

/**
 * The face chip turned upright (roll removed) and resampled to `side` x `side` float RGB, with
 * box-filter supersampling so a large face is not aliased; black outside the image.
 *
 * Hot path (up to 8 x 8 bilinear samples per chip pixel for a large face): the sample offsets are
 * computed once per row and column, and pixels are read directly unless a sample touches the
 * border. The arithmetic, and so every output value, is the same as the plain formulation.
 */
export function alignedChip(image: RgbImage, geometry: FaceGeometry, side = 150): Float32Array {
  const { data, width, height } = image;
  const out = new Float32Array(side * side * 3);
  const samples = Math.min(8, Math.max(1, Math.ceil(geometry.size / side)));
  const cos = Math.cos(geometry.angle);
  const sin = Math.sin(geometry.angle);
  const [cx, cy] = geometry.centre;
  const pixel = (x: number, y: number, channel: number) =>
    x < 0 || y < 0 || x >= width || y >= height ? 0 : data[(y * width + x) * 3 + channel];
  // offset(k) for k = u * samples + i: the sample's distance from the chip centre, in source pixels.
  const offsets = new Float64Array(side * samples);
  for (let u = 0; u < side; u++) {
    for (let i = 0; i < samples; i++) {
      offsets[u * samples + i] = ((u + (i + 0.5) / samples) / side - 0.5) * geometry.size;
    }
  }
  const offsetCos = offsets.map((offset) => offset * cos);
  const offsetSin = offsets.map((offset) => offset * sin);
  const count = samples * samples;
  const rgb = [0, 0, 0];

  for (let v = 0; v < side; v++) {
    for (let u = 0; u < side; u++) {
      rgb[0] = 0;
      rgb[1] = 0;
      rgb[2] = 0;
      for (let j = 0; j < samples; j++) {
        const cSin = offsetSin[v * samples + j];
        const cCos = offsetCos[v * samples + j];
        for (let i = 0; i < samples; i++) {
          const x = cx + offsetCos[u * samples + i] - cSin - 0.5;
          const y = cy + offsetSin[u * samples + i] + cCos - 0.5;
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          const fx = x - x0;
          const fy = y - y0;
          const inside = x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height;
          const top = (y0 * width + x0) * 3;
          const bottom = top + width * 3;
          for (let channel = 0; channel < 3; channel++) {
            rgb[channel] += inside
              ? (data[top + channel] * (1 - fx) + data[top + 3 + channel] * fx) * (1 - fy) +
                (data[bottom + channel] * (1 - fx) + data[bottom + 3 + channel] * fx) * fy
              : (pixel(x0, y0, channel) * (1 - fx) + pixel(x0 + 1, y0, channel) * fx) * (1 - fy) +
                (pixel(x0, y0 + 1, channel) * (1 - fx) + pixel(x0 + 1, y0 + 1, channel) * fx) * fy;
          }
        }
      }
      const offset = (v * side + u) * 3;
      out[offset] = rgb[0] / count;
      out[offset + 1] = rgb[1] / count;
      out[offset + 2] = rgb[2] / count;
    }
  }
  return out;
}

/** Mean of the L2-normalised vectors: each view of the face counts the same. */
export function meanOfNormalised(vectors: ArrayLike<number>[]): Float32Array {
  const length = vectors[0].length;
  const sum = new Float64Array(length);
  for (const vector of vectors) {
    let norm = 0;
    for (let index = 0; index < length; index++) norm += vector[index] * vector[index];
    norm = Math.sqrt(norm) || 1;
    for (let index = 0; index < length; index++) sum[index] += vector[index] / norm;
  }
  return Float32Array.from(sum, (value) => value / vectors.length);
}

/**
 * The part of the detector's `size` x `size` square that an image fills: face-api pads the image
 * with black at the right or bottom to a square before resizing, so for a 3:4 portrait a quarter
 * of the detector's work goes into black. The frame keeps the image's columns and rows, rounded
 * up to a multiple of `multiple` (the detector's output stride, so its feature maps cover the
 * frame exactly); `multiple` = `size` gives face-api's full square.
 */
export interface DetectorFrame {
  /** The side of the square the image is scaled into: its longer side spans `size` pixels. */
  size: number;
  width: number;
  height: number;
}

export function detectorFrame(
  image: { width: number; height: number },
  size: number,
  multiple: number,
): DetectorFrame {
  const fit = size / Math.max(image.width, image.height);
  // Output column x samples source column floor(x / fit): the image spans ceil(width * fit).
  const span = (extent: number) =>
    Math.min(size, Math.ceil(Math.ceil(extent * fit) / multiple) * multiple);
  return { size, width: span(image.width), height: span(image.height) };
}

/**
 * What face-api's `toBatchTensor(size, false)` makes of `image` for the SSD detector, scaled to
 * -1..1, cut to `frame`: the image padded with black at the right or bottom, resized the way
 * `tf.image.resizeBilinear` resizes the padded square (corners not aligned, no half-pixel
 * centres). Computed here rather than as tensors so the full detection copy never enters the
 * worker's WebAssembly memory, which keeps whatever it once held. Every value of `out` is
 * written.
 */
export function detectorInput(
  image: RgbImage,
  frame: DetectorFrame,
  out = new Float32Array(frame.width * frame.height * 3),
): Float32Array {
  const { size, width: columns, height: rows } = frame;
  if (out.length !== columns * rows * 3) {
    throw new Error(`detectorInput: out holds ${out.length} values for ${columns} x ${rows}`);
  }
  const { data, width, height } = image;
  const side = Math.max(width, height);
  const ratio = side / size;
  // Per output column and row: the two source pixels' byte offsets (-1 in the black padding) and
  // the interpolation weight, computed once; the arithmetic is resizeBilinear's.
  const lefts = new Int32Array(columns);
  const rights = new Int32Array(columns);
  const fxs = new Float64Array(columns);
  for (let x = 0; x < columns; x++) {
    const source = x * ratio;
    const left = Math.floor(source);
    const right = Math.min(side - 1, Math.ceil(source));
    lefts[x] = left < width ? left * 3 : -1;
    rights[x] = right < width ? right * 3 : -1;
    fxs[x] = source - left;
  }
  const rowBytes = width * 3;
  for (let y = 0; y < rows; y++) {
    const source = y * ratio;
    const top = Math.floor(source);
    const bottom = Math.min(side - 1, Math.ceil(source));
    const topRow = top < height ? top * rowBytes : -1;
    const bottomRow = bottom < height ? bottom * rowBytes : -1;
    const fy = source - top;
    for (let x = 0; x < columns; x++) {
      const left = lefts[x];
      const right = rights[x];
      const fx = fxs[x];
      const target = (y * columns + x) * 3;
      for (let channel = 0; channel < 3; channel++) {
        const topLeft = topRow < 0 || left < 0 ? 0 : data[topRow + left + channel];
        const topRight = topRow < 0 || right < 0 ? 0 : data[topRow + right + channel];
        const bottomLeft = bottomRow < 0 || left < 0 ? 0 : data[bottomRow + left + channel];
        const bottomRight = bottomRow < 0 || right < 0 ? 0 : data[bottomRow + right + channel];
        const upper = topLeft + (topRight - topLeft) * fx;
        const lower = bottomLeft + (bottomRight - bottomLeft) * fx;
        out[target + channel] = (upper + (lower - upper) * fy) / 127.5 - 1;
      }
    }
  }
  return out;
}

/** The pixels of `image` inside the rectangle, which must lie within it. */
export function cropRgb(
  image: RgbImage,
  { x, y, width, height }: { x: number; y: number; width: number; height: number },
): RgbImage {
  const data = new Uint8Array(width * height * 3);
  const row = width * 3;
  for (let line = 0; line < height; line++) {
    const start = ((y + line) * image.width + x) * 3;
    data.set(image.data.subarray(start, start + row), line * row);
  }
  return { data, width, height };
}
