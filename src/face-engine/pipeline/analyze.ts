/**
 * The pipeline, each step measured on the labelled pairs (see the README's "Recognition quality"
 * and, for the time each step takes, "Where the time goes"):
 * 1. Decode once with sharp: EXIF orientation applied, any colour space or bit depth to 8-bit sRGB,
 *    transparency flattened onto white. A JPEG over twice DETECT_MAX_SIDE is decoded straight to
 *    the detection size (shrink-on-load); it is decoded in full only if a face is too small there.
 * 2. Detect (SSD MobileNet v1, its layers fused) on a copy no larger than DETECT_MAX_SIDE, which
 *    the detector sees as a FACE_DETECTOR_SIZE square (448 by default; it was trained at 512,
 *    which a photo with a face under SMALL_FACE_FRACTION of the square goes through as well),
 *    cut to the frame the photo fills unless a face spans over LARGE_FACE_FRACTION of it.
 *    Then the 68 landmarks of each face, from that copy.
 * 3. When nothing is found, try again on black-padded copies: tight crops (ID photos, avatars)
 *    fill the frame more than the scenes the detector was trained on; last, at the trained size.
 * 4. Embed each face: the mean of four L2-normalised descriptors (the roll-aligned chip, the
 *    upright dlib chip, and the mirror image of each), computed in one batch, from the
 *    full-resolution image or from a reduced one where the face still spans 2 x the chip size.
 */
import type {
  DetectedFace,
  FaceAnalysis,
  UndecodableImage,
  WorkerOptions,
} from '../face-engine.types.js';
import { backendHeapBytes } from './backend.js';
import { decode, decodeFull, type Photo } from './decode.js';
import { detect, type Detection } from './detect.js';
import { chipSource, embed } from './embed.js';
import type { ReadyEngine } from './models.js';

function clampBox(
  box: Detection['box'],
  image: { width: number; height: number },
): DetectedFace['box'] {
  const x = Math.max(0, Math.round(box.x));
  const y = Math.max(0, Math.round(box.y));
  return {
    x,
    y,
    width: Math.max(1, Math.min(image.width, Math.round(box.x + box.width)) - x),
    height: Math.max(1, Math.min(image.height, Math.round(box.y + box.height)) - y),
  };
}

/** Decodes, detects and embeds one upload; an unreadable one is reported, not thrown. */
export async function analyze(
  engine: ReadyEngine,
  options: WorkerOptions,
  bytes: Uint8Array,
): Promise<FaceAnalysis | UndecodableImage> {
  const started = performance.now();
  let photo: Photo;
  try {
    photo = await decode(bytes, options.maxImagePixels);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { undecodable: message, tooManyPixels: /pixel limit/i.test(message) };
  }
  const timings: FaceAnalysis['timings'] = {
    decode: performance.now() - started,
    detect: 0,
    landmarks: 0,
    embed: 0,
    total: 0,
  };
  const detections = await detect(engine, photo, options, timings);
  // A full decode that a small face in a large JPEG needs counts as decoding, not embedding.
  let fullDecodeMs = 0;
  const timedFullDecode = async () => {
    const decoding = performance.now();
    const full = await decodeFull(bytes, options.maxImagePixels);
    fullDecodeMs = performance.now() - decoding;
    return full;
  };
  const embedding = performance.now();
  const faces: DetectedFace[] = [];
  for (const detection of detections) {
    const source = await chipSource(photo, detection.landmarks, timedFullDecode);
    faces.push({
      box: clampBox(detection.box, photo),
      score: detection.score,
      embedding: await embed(engine, source.image, source.landmarks),
    });
  }
  const done = performance.now();
  timings.decode += fullDecodeMs;
  timings.embed = done - embedding - fullDecodeMs;
  timings.total = done - started;
  return {
    width: photo.width,
    height: photo.height,
    faces,
    timings,
    backendHeapBytes: backendHeapBytes(engine),
  };
}
