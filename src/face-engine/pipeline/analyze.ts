/**
 * The pipeline a worker runs on each upload, one file per stage; each step is there because it
 * measurably helped (the figures, with the commands that reproduce them, are in docs/recognition.md
 * and docs/performance.md):
 * 1. decode.ts: sharp, once, to upright 8-bit sRGB; a large JPEG straight to the detection size.
 * 2. detect.ts: SSD MobileNet v1 (fused) on the frame of its square that the photo fills;
 *    black-padded copies and the trained size when nothing is found; a weak detection at the
 *    centre when no confident face is there (selection.ts, `rescuedSubject`); the other three
 *    quarter turns when only such a weak face or none was found, and the two side turns when the
 *    best face lies on its side, for a face a wrong EXIF tag laid on its side.
 * 3. selection.ts: the faces the caller needs (the subject, or the largest few), each confirmed
 *    by its 68 landmarks and features only when the choice rests on it.
 * 4. embed.ts: the mean of two L2-normalised descriptors, dlib's own aligned chip and its mirror
 *    image, in one batch; or MobileFaceNet's of its own chip, or both fused (FACE_MODEL).
 */
import type {
  DetectedFace,
  FaceAnalysis,
  UndecodableImage,
  WorkerOptions,
} from '../face-engine.types.js';
import { backendHeapBytes } from './backend.js';
import { decode, decodeRegion, type Photo, type PixelRegion } from './decode.js';
import { detect, detectTurned, liesOnItsSide } from './detect.js';
import { embedFace } from './embed.js';
import type { ReadyEngine } from './models.js';
import { angleBeforeTurn, boxBeforeTurn, turnRgb, type QuarterTurns } from './raster.js';
import type { FaceSelection } from '../face-selection.js';
import { selectConfirmed } from './selection.js';

/**
 * Decodes one upload, detects its faces and embeds those `selection` keeps; an unreadable upload
 * is reported, not thrown.
 */
export async function analyze(
  engine: ReadyEngine,
  options: WorkerOptions,
  bytes: Uint8Array,
  selection: FaceSelection,
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
  let detections = await detect(engine, photo, options, timings);
  // Boxes and landmarks are found, and chips cut, in `analysed`: the photo, or the turn of it
  // that stands its face upright; boxes and roll are reported in the photo's own orientation.
  let analysed = photo;
  let turns: QuarterTurns = 0;
  // Only when the face taken would be a weak one (the subject rescued below the confidence
  // threshold), when there is none, or when the best face lies on its side (its box wider than
  // tall: then only the two turns that stand a face on its side upright): a confident upright
  // face is as it stands, and a normal photo costs nothing more.
  const weak = detections.filter(({ score }) => score < options.minConfidence);
  const onItsSide = detections.length > 0 && liesOnItsSide(detections[0].box);
  if (detections.length === 0 || weak.length > 0 || onItsSide) {
    const upright = detections.filter(({ box }) => !liesOnItsSide(box));
    const beat = Math.max(0, ...upright.map(({ score }) => score));
    const tried =
      weak.length > 0 || detections.length === 0 ? ([1, 2, 3] as const) : ([1, 3] as const);
    const turned = await detectTurned(engine, photo, options, beat, timings, tried);
    if (turned) ({ photo: analysed, detections, turns } = turned);
  }
  // The region decodes that small faces in a large photo need count as decoding, not embedding.
  let regionDecodeMs = 0;
  const timedRegionDecode = async (region: PixelRegion) => {
    const decoding = performance.now();
    const stored = boxBeforeTurn(region, turns, photo);
    const pixels = turnRgb(await decodeRegion(bytes, options.maxImagePixels, stored), turns);
    regionDecodeMs += performance.now() - decoding;
    return pixels;
  };
  const embedding = performance.now();
  const { selected, found } = await selectConfirmed(
    detections,
    analysed,
    selection,
    async (detection) => (await detection.inspect()) !== undefined,
  );
  const faces: DetectedFace[] = [];
  for (const detection of selected) {
    const face = await detection.inspect();
    if (!face) continue;
    faces.push({
      box: boxBeforeTurn(detection.box, turns, photo),
      score: detection.score,
      quality: { ...face.quality, roll: angleBeforeTurn(face.quality.roll, turns) },
      embedding: await embedFace(
        engine,
        options.faceModel,
        analysed,
        face.landmarks,
        timedRegionDecode,
      ),
    });
  }
  const done = performance.now();
  timings.decode += regionDecodeMs;
  timings.embed = done - embedding - regionDecodeMs;
  timings.total = done - started;
  return {
    width: photo.width,
    height: photo.height,
    faces,
    detected: found.length,
    timings,
    backendHeapBytes: backendHeapBytes(engine),
  };
}
