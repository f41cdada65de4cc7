import sharp, { type Sharp } from 'sharp';
import type { RgbImage } from './raster.js';

// libvips' operation cache (up to 50 MB) pays off only when the same image is processed twice;
// every upload is new.
sharp.cache(false);

/** Longest side of the image the detector is given. */
const DETECT_MAX_SIDE = 1024;
/** JPEGs whose longer side exceeds this are decoded at reduced scale (shrink-on-load). */
const SHRINK_ON_LOAD_ABOVE = 2 * DETECT_MAX_SIDE;

export function asUint8(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
}

/** To 8-bit sRGB: EXIF orientation applied, transparency flattened onto white. */
function decoder(bytes: Uint8Array, maxPixels: number) {
  return sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels })
    .rotate()
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb');
}

async function rgb(pipeline: Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3)
    throw new Error(`decoded image has ${info.channels} channels, expected 3`);
  return { data: asUint8(data), width: info.width, height: info.height };
}

/** A sharp pipeline reading decoded pixels. */
export function rawInput(image: RgbImage) {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
}

/** A decoded upload: what the detector sees, and the full-resolution pixels when decoded. */
export interface Photo {
  /** Size of the upright photo at full resolution: boxes and landmarks are in these pixels. */
  width: number;
  height: number;
  /** The copy the detector sees, no larger than DETECT_MAX_SIDE. */
  detection: RgbImage;
  /** Full-resolution pixels per detection-copy pixel. */
  scale: number;
  /**
   * The full-resolution pixels of a photo small enough to decode whole; a larger one has none, and
   * a face that needs them is cut from a decode of its own region (`decodeRegion`).
   */
  full?: RgbImage;
}

/** A rectangle of whole pixels. */
export interface PixelRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Decodes the upload. A photo larger than twice the detection size is decoded straight to the
 * detection size and never held whole: a JPEG through libjpeg's shrink-on-load, at a fraction of
 * a full decode's cost; a PNG, which cannot shrink on load, streamed through the resize a few
 * rows at a time, so a 6000 x 6000 PNG costs its decompression but not a 108 MB raster. Anything
 * smaller is decoded in full and resized for the detector.
 */
export async function decode(bytes: Uint8Array, maxPixels: number): Promise<Photo> {
  const header = await sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels }).metadata();
  const { width, height } = header.autoOrient;
  if (Math.max(width, height) > SHRINK_ON_LOAD_ABOVE) {
    const detection = await rgb(
      decoder(bytes, maxPixels).resize({
        width: DETECT_MAX_SIDE,
        height: DETECT_MAX_SIDE,
        fit: 'inside',
      }),
    );
    return { width, height, detection, scale: width / detection.width };
  }
  const full = await rgb(decoder(bytes, maxPixels));
  if (Math.max(full.width, full.height) <= DETECT_MAX_SIDE) {
    return { width: full.width, height: full.height, detection: full, scale: 1, full };
  }
  const detection = await rgb(
    rawInput(full).resize({ width: DETECT_MAX_SIDE, height: DETECT_MAX_SIDE, fit: 'inside' }),
  );
  return {
    width: full.width,
    height: full.height,
    detection,
    scale: full.width / detection.width,
    full,
  };
}

/**
 * `region` of the upright photo (as `decode` reports its size) at full resolution. The region is
 * cut before the EXIF turn, in the stored pixels, so that libvips reads the rows down to it and
 * no further, and never holds the rest: a small face in a large photo costs a small decode.
 */
export async function decodeRegion(
  bytes: Uint8Array,
  maxPixels: number,
  region: PixelRegion,
): Promise<RgbImage> {
  const header = await sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels }).metadata();
  const stored = storedRegion(region, header.orientation ?? 1, {
    width: header.width,
    height: header.height,
  });
  return rgb(
    sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels })
      .extract({ left: stored.x, top: stored.y, width: stored.width, height: stored.height })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb'),
  );
}

/**
 * Where `region` of the upright photo lies in the stored pixels (`stored` in size) of an image
 * whose EXIF orientation is `orientation` (1 to 8; 5 to 8 swap the sides).
 */
export function storedRegion(
  region: PixelRegion,
  orientation: number,
  stored: { width: number; height: number },
): PixelRegion {
  const { x, y, width, height } = region;
  // Upright x runs along the stored x (1-4) or y (5-8), forwards or backwards.
  const right = stored.width - x - width;
  const bottom = stored.height - y - height;
  switch (orientation) {
    case 2:
      return { x: right, y, width, height };
    case 3:
      return { x: right, y: bottom, width, height };
    case 4:
      return { x, y: bottom, width, height };
    case 5:
      return { x: y, y: x, width: height, height: width };
    case 6:
      return { x: y, y: stored.height - x - width, width: height, height: width };
    case 7:
      return {
        x: stored.width - y - height,
        y: stored.height - x - width,
        width: height,
        height: width,
      };
    case 8:
      return { x: stored.width - y - height, y: x, width: height, height: width };
    default:
      return { x, y, width, height };
  }
}
