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
  /** The full-resolution pixels; large JPEGs are only decoded in full when a face needs it. */
  full?: RgbImage;
}

/** The upload at full resolution, upright, in 8-bit sRGB. */
export function decodeFull(bytes: Uint8Array, maxPixels: number): Promise<RgbImage> {
  return rgb(decoder(bytes, maxPixels));
}

/**
 * Decodes the upload. A JPEG larger than twice the detection size is decoded straight to the
 * detection size with libjpeg's shrink-on-load, at a fraction of a full decode's cost; anything
 * else is decoded in full and resized for the detector.
 */
export async function decode(bytes: Uint8Array, maxPixels: number): Promise<Photo> {
  const header = await sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels }).metadata();
  const { width, height } = header.autoOrient;
  if (header.format === 'jpeg' && Math.max(width, height) > SHRINK_ON_LOAD_ABOVE) {
    const detection = await rgb(
      decoder(bytes, maxPixels).resize({
        width: DETECT_MAX_SIDE,
        height: DETECT_MAX_SIDE,
        fit: 'inside',
      }),
    );
    return { width, height, detection, scale: width / detection.width };
  }
  const full = await decodeFull(bytes, maxPixels);
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
