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

/** The square a face chip is sampled from, in source pixels, turned by the face's roll. */
export interface FaceGeometry {
  /** Side of the square face chip, in source pixels. */
  size: number;
  /** Roll: the angle of the line through the eyes, in radians. */
  angle: number;
  /** Centre of the rotated chip. */
  centre: Point;
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
 * clipping to the image, plus the roll angle so the chip can be turned upright: a tight chip of
 * the inner face, which the quality measures are taken on.
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
    centre: [centre[0] - 0.07 * size * Math.sin(angle), centre[1] + 0.07 * size * Math.cos(angle)],
  };
}

/**
 * dlib's mean face shape (`get_face_chip_details`, landmarks 17 to 67 of the 68-point scheme) in
 * the unit square: the positions its face recognition net was trained to see them at.
 */
const MEAN_FACE_X = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991,
  0.98004, 0.490127, 0.490127, 0.490127, 0.490127, 0.36688, 0.426036, 0.490127, 0.554217, 0.613373,
  0.121737, 0.187122, 0.265825, 0.334606, 0.260918, 0.182743, 0.645647, 0.714428, 0.793132,
  0.858516, 0.79751, 0.719335, 0.254149, 0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104,
  0.642159, 0.556721, 0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157,
  0.689874, 0.553364, 0.490127, 0.42689,
];
const MEAN_FACE_Y = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915,
  0.106454, 0.203352, 0.307009, 0.409805, 0.515625, 0.587326, 0.609345, 0.628106, 0.609345,
  0.587326, 0.216423, 0.178758, 0.179852, 0.231733, 0.245099, 0.244077, 0.231733, 0.179852,
  0.178758, 0.216423, 0.244077, 0.245099, 0.780233, 0.745405, 0.727388, 0.742578, 0.727388,
  0.745405, 0.780233, 0.864805, 0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746,
  0.785343, 0.778746, 0.784792, 0.824182, 0.831803, 0.824182,
];

/**
 * Landmarks dlib fits its chip to: 27 to 67 of the 68, without the eyebrows (17-26) and the lower
 * lip (55-59, 65-67), which move with expression.
 */
const CHIP_LANDMARKS = Array.from({ length: 68 - 27 }, (_, index) => index + 27).filter(
  (index) => !(index >= 55 && index <= 59) && !(index >= 65 && index <= 67),
);

/**
 * The least-squares similarity transform (rotation, uniform scale, translation) that carries the
 * points `from` onto `to`: with both sets centred on their centroids, `q = [[a, -b], [b, a]] p`.
 */
export function fitSimilarity(
  from: Point[],
  to: Point[],
): { a: number; b: number; fromCentroid: Point; toCentroid: Point } {
  const centroid = (points: Point[]): Point => {
    const sum = points.reduce<Point>((total, [x, y]) => [total[0] + x, total[1] + y], [0, 0]);
    return [sum[0] / points.length, sum[1] / points.length];
  };
  const [fromX, fromY] = centroid(from);
  const [toX, toY] = centroid(to);
  // The closed form a = sum(p . q) / sum|p|^2 and b = sum(p x q) / sum|p|^2 (Umeyama's solution
  // in two dimensions).
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let index = 0; index < from.length; index++) {
    const px = from[index][0] - fromX;
    const py = from[index][1] - fromY;
    const qx = to[index][0] - toX;
    const qy = to[index][1] - toY;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  return { a: dot / norm, b: cross / norm, fromCentroid: [fromX, fromY], toCentroid: [toX, toY] };
}

/**
 * dlib's `get_face_chip_details(shape, side, padding)`: the least-squares similarity transform
 * (rotation, uniform scale, translation) that carries the mean face shape, padded by `padding` of
 * its size on every side and scaled to `side`, onto the face's landmarks. The chip the dlib
 * ResNet (face-api's recognition net) was trained on is this one at side 150, padding 0.25.
 */
export function dlibChipGeometry(landmarks: Point[], side = 150, padding = 0.25): FaceGeometry {
  const from = CHIP_LANDMARKS.map((index): Point => [
    ((padding + MEAN_FACE_X[index - 17]) / (2 * padding + 1)) * side,
    ((padding + MEAN_FACE_Y[index - 17]) / (2 * padding + 1)) * side,
  ]);
  const to = CHIP_LANDMARKS.map((index) => landmarks[index]);
  const {
    a,
    b,
    fromCentroid: [fromX, fromY],
    toCentroid: [toX, toY],
  } = fitSimilarity(from, to);
  // Where the chip's centre lands: the transform applied to (side / 2, side / 2).
  const dx = side / 2 - fromX;
  const dy = side / 2 - fromY;
  return {
    size: side * Math.hypot(a, b),
    angle: Math.atan2(b, a),
    centre: [toX + a * dx - b * dy, toY + b * dx + a * dy],
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

/** Quarter turns clockwise: 0 (as it is), 1 (90°), 2 (180°), 3 (270°, i.e. 90° anticlockwise). */
export type QuarterTurns = 0 | 1 | 2 | 3;

/** `image` turned clockwise by `turns` quarter turns. */
export function turnRgb(image: RgbImage, turns: QuarterTurns): RgbImage {
  if (turns === 0) return image;
  const { data, width, height } = image;
  const sideways = turns % 2 === 1;
  const outWidth = sideways ? height : width;
  const outHeight = sideways ? width : height;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Where pixel (x, y) lands: clockwise, the top row becomes the right-hand column.
      const [u, v] =
        turns === 1
          ? [height - 1 - y, x]
          : turns === 2
            ? [width - 1 - x, height - 1 - y]
            : [y, width - 1 - x];
      const from = (y * width + x) * 3;
      const to = (v * outWidth + u) * 3;
      out[to] = data[from];
      out[to + 1] = data[from + 1];
      out[to + 2] = data[from + 2];
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

/**
 * A box found in a copy turned clockwise by `turns`, in the pixels of the image before the turn
 * (`size` is that image's).
 */
export function boxBeforeTurn<T extends { x: number; y: number; width: number; height: number }>(
  box: T,
  turns: QuarterTurns,
  size: { width: number; height: number },
): { x: number; y: number; width: number; height: number } {
  const { x, y, width, height } = box;
  if (turns === 1) return { x: y, y: size.height - x - width, width: height, height: width };
  if (turns === 2) {
    return { x: size.width - x - width, y: size.height - y - height, width, height };
  }
  if (turns === 3) return { x: size.width - y - height, y: x, width: height, height: width };
  return { x, y, width, height };
}

/**
 * An angle measured in a copy turned clockwise by `turns` (image coordinates, y down, so a
 * clockwise turn adds to it), in degrees of the image before the turn, in (-180, 180].
 */
export function angleBeforeTurn(degrees: number, turns: QuarterTurns): number {
  const angle = (((degrees - 90 * turns) % 360) + 360) % 360;
  return angle > 180 ? angle - 360 : angle;
}
