import type { FaceBox } from '../../common/face-box.js';

/** Which of the faces found a caller needs embedded; the others are never embedded. */
export type FaceSelection =
  /** Enrolment: the face the photo is about, if one clearly is (`reject`: only a lone face). */
  | { kind: 'subject'; policy: MultiFacePolicy }
  /** Comparison and search: the largest faces, at most `max`. */
  | { kind: 'largest'; max: number };

export type MultiFacePolicy = 'dominant' | 'reject';

/**
 * A face dominates a photo when it is at least this many times the area of the next largest face,
 * or when it is the largest and also the most central, its centre within CENTRAL_OFFSET of the
 * photo's shorter side from the photo's centre: the subject of a portrait or a news photo, not one
 * of a group (docs/recognition.md, "The face a photo is about").
 */
export const DOMINANT_AREA_RATIO = 2.5;
export const CENTRAL_OFFSET = 0.15;

interface Candidate {
  box: FaceBox;
}

const area = ({ box }: Candidate) => box.width * box.height;

/** The face a photo is about: the only one, or one that dominates under `policy`; else none. */
export function subjectFace<T extends Candidate>(
  faces: T[],
  photo: { width: number; height: number },
  policy: MultiFacePolicy,
): T | undefined {
  if (faces.length === 1) return faces[0];
  if (faces.length === 0 || policy === 'reject') return undefined;
  const [largest, next] = [...faces].sort((a, b) => area(b) - area(a));
  if (area(largest) >= DOMINANT_AREA_RATIO * area(next)) return largest;
  const offset = ({ box }: Candidate) =>
    Math.hypot(box.x + box.width / 2 - photo.width / 2, box.y + box.height / 2 - photo.height / 2);
  const central = faces.reduce((best, face) => (offset(face) < offset(best) ? face : best));
  return central === largest &&
    offset(largest) <= CENTRAL_OFFSET * Math.min(photo.width, photo.height)
    ? largest
    : undefined;
}

/** The faces to embed under `selection`, in the order they were found. */
export function selectFaces<T extends Candidate>(
  faces: T[],
  photo: { width: number; height: number },
  selection: FaceSelection,
): T[] {
  if (selection.kind === 'subject') {
    const subject = subjectFace(faces, photo, selection.policy);
    return subject ? [subject] : [];
  }
  if (faces.length <= selection.max) return faces;
  const kept = new Set([...faces].sort((a, b) => area(b) - area(a)).slice(0, selection.max));
  return faces.filter((face) => kept.has(face));
}
