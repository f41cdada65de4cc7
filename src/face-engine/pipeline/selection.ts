import { intersectionOverUnion, type FaceBox } from '../../common/face-box.js';
import type { FaceSelection, MultiFacePolicy } from '../face-selection.js';

/**
 * A face dominates a photo when it is at least this many times the area of the next largest face,
 * or when it is the largest and also the most central, its centre within CENTRAL_OFFSET of the
 * photo's shorter side from the photo's centre: the subject of a portrait or a news photo, not one
 * of a group (docs/recognition.md, "The face a photo is about").
 */
export const DOMINANT_AREA_RATIO = 2.5;
export const CENTRAL_OFFSET = 0.15;
/**
 * Beside a single bystander, the central face needs to be only this share of the largest's area:
 * a photo centres its subject, and a bystander cut by the frame's edge gets a loose box
 * (docs/recognition.md). Not in a group, where a third face is at least GROUP_AREA of the
 * largest: there the middle of a row is no sign of a subject.
 */
export const CENTRAL_MIN_AREA = 0.75;
export const GROUP_AREA = 0.5;

/**
 * A detection below the detector's confidence threshold still counts as a face when the photo's
 * centre holds no confident one and it is there: at least this score, at least the size of every
 * confident face, overlapping none of them by more than RESCUE_MAX_OVERLAP (intersection over
 * union). News photos whose subject turns away, or is half in shadow, score lower than the
 * bystanders at their edges (docs/recognition.md, "The face a photo is about").
 */
export const RESCUE_MIN_SCORE = 0.15;
export const RESCUE_MAX_OVERLAP = 0.3;
/**
 * Nor when it covers more than this share of the photo: a weak box around most of the frame is
 * the detector's answer to a texture (noise, stripes) as often as to a face, and a face that
 * fills the frame is a tight crop, which the padded detection passes are there for.
 */
export const RESCUE_MAX_AREA = 0.5;

interface Candidate {
  box: FaceBox;
}

interface Photo {
  width: number;
  height: number;
}

const area = ({ box }: Candidate) => box.width * box.height;
const byAreaDescending = (a: Candidate, b: Candidate) => area(b) - area(a);

/** How far a face's centre is from the photo's, in pixels. */
function centreOffset({ box }: Candidate, photo: Photo): number {
  return Math.hypot(
    box.x + box.width / 2 - photo.width / 2,
    box.y + box.height / 2 - photo.height / 2,
  );
}

function isCentral(face: Candidate, photo: Photo): boolean {
  return centreOffset(face, photo) <= CENTRAL_OFFSET * Math.min(photo.width, photo.height);
}

/**
 * The subject rule's answer, and the faces it rests on (the lone face; for `reject` the first
 * two; else the three largest and the most central): removing any other face cannot change the
 * answer.
 */
function subjectRule<T extends Candidate>(
  faces: T[],
  photo: Photo,
  policy: MultiFacePolicy,
): { subject: T | undefined; witnesses: T[] } {
  if (faces.length <= 1) return { subject: faces[0], witnesses: faces };
  if (policy === 'reject') return { subject: undefined, witnesses: faces.slice(0, 2) };
  const [largest, next, third] = [...faces].sort(byAreaDescending);
  const central = faces.reduce((best, face) =>
    centreOffset(face, photo) < centreOffset(best, photo) ? face : best,
  );
  const witnesses = [...new Set([largest, next, third, central].filter(Boolean))];
  if (area(largest) >= DOMINANT_AREA_RATIO * area(next)) return { subject: largest, witnesses };
  const group = third !== undefined && area(third) >= GROUP_AREA * area(largest);
  const minArea = group ? 1 : CENTRAL_MIN_AREA;
  const subject =
    isCentral(central, photo) && area(central) >= minArea * area(largest) ? central : undefined;
  return { subject, witnesses };
}

/** The face a photo is about: the only one, or one that dominates under `policy`; else none. */
export function subjectFace<T extends Candidate>(
  faces: T[],
  photo: Photo,
  policy: MultiFacePolicy,
): T | undefined {
  return subjectRule(faces, photo, policy).subject;
}

/** The faces to embed under `selection`, in the order they were found. */
export function selectFaces<T extends Candidate>(
  faces: T[],
  photo: Photo,
  selection: FaceSelection,
): T[] {
  if (selection.kind !== 'largest') {
    const policy = selection.kind === 'subject' ? selection.policy : 'dominant';
    const subject = subjectFace(faces, photo, policy);
    if (subject) return [subject];
    if (selection.kind === 'subject') return [];
  }
  if (faces.length <= selection.max) return faces;
  const kept = new Set([...faces].sort(byAreaDescending).slice(0, selection.max));
  return faces.filter((face) => kept.has(face));
}

/**
 * `selectFaces` over detections that are confirmed as faces (`isFace`: landmarks found, features
 * present) only when a rule needs them: a detection found not to be a face is dropped as if never
 * detected, and the rule asked again. The answer is the one `selectFaces` gives on the confirmed
 * faces alone, at the cost of confirming only the faces it rests on: a crowd's largest few rather
 * than all of them. `found`: the detections left, confirmed or never needed.
 */
export async function selectConfirmed<T extends Candidate>(
  detections: T[],
  photo: Photo,
  selection: FaceSelection,
  isFace: (detection: T) => Promise<boolean>,
): Promise<{ selected: T[]; found: T[] }> {
  let found = detections;
  const confirmed = async (detection: T) => {
    if (await isFace(detection)) return true;
    found = found.filter((other) => other !== detection);
    return false;
  };
  const confirmedLargest = async (max: number) => {
    const kept = new Set<T>();
    for (const detection of [...found].sort(byAreaDescending)) {
      if (kept.size === max) break;
      if (await confirmed(detection)) kept.add(detection);
    }
    return found.filter((face) => kept.has(face));
  };
  const confirmedSubject = async (policy: MultiFacePolicy) => {
    for (;;) {
      const { subject, witnesses } = subjectRule(found, photo, policy);
      let settled = true;
      for (const witness of witnesses) {
        if (!(await confirmed(witness))) {
          settled = false;
          break;
        }
      }
      if (settled) return subject;
    }
  };
  let selected: T[];
  if (selection.kind === 'largest') {
    selected = await confirmedLargest(selection.max);
  } else {
    const policy = selection.kind === 'subject' ? selection.policy : 'dominant';
    const subject = await confirmedSubject(policy);
    if (subject) selected = [subject];
    else selected = selection.kind === 'subject' ? [] : await confirmedLargest(selection.max);
  }
  return { selected, found };
}

/**
 * The weak detection (below the confidence threshold, at least RESCUE_MIN_SCORE) that is taken as
 * a face because it is where the photo's subject would be: only when no `confident` face is
 * central; the best scored of the central ones at least as large as every confident face,
 * overlapping none of them by more than RESCUE_MAX_OVERLAP and covering at most RESCUE_MAX_AREA
 * of the photo.
 */
export function rescuedSubject<T extends Candidate & { score: number }>(
  confident: T[],
  weak: T[],
  photo: Photo,
): T | undefined {
  if (confident.some((face) => isCentral(face, photo))) return undefined;
  const largest = Math.max(0, ...confident.map(area));
  return weak
    .filter(
      (face) =>
        face.score >= RESCUE_MIN_SCORE &&
        isCentral(face, photo) &&
        area(face) >= largest &&
        area(face) <= RESCUE_MAX_AREA * photo.width * photo.height &&
        confident.every(
          (other) => intersectionOverUnion(face.box, other.box) <= RESCUE_MAX_OVERLAP,
        ),
    )
    .reduce<T | undefined>(
      (best, face) => (!best || face.score > best.score ? face : best),
      undefined,
    );
}
