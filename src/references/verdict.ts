import type { FaceBox } from '../common/face-box.js';

/**
 * Which faces of a photo to compare: `subject`, the face the photo is about (the rule enrolment
 * uses), and the largest faces only when none clearly is; `all`, the largest faces whatever the
 * photo, the closest deciding (the old rule, which a face printed on a shirt could win).
 */
export const PROBE_FACES = ['subject', 'all'] as const;
export type ProbeFaces = (typeof PROBE_FACES)[number];

/** Whether two faces are one person: the closest pair of the faces compared decides. */
export interface Verdict {
  verified: boolean;
  distance: number;
  threshold: number;
  model: string;
  /** The share of different people's pairs at least this close, where the model is calibrated. */
  falseAcceptRate?: number;
  /** The face on the first side (the stored reference) and on the second (the new photo). */
  faces: [FaceBox, FaceBox];
  /**
   * Faces found in the new photo(s) but not compared: the others where the subject decides, else
   * those over MAX_FACES_PER_IMAGE.
   */
  facesSkipped: number;
  seconds: number;
}

/** Whether a face is a person: `Verdict` over all the person's references combined. */
export interface PersonVerdict extends Verdict {
  /** How many of the person's references were combined. */
  referencesUsed: number;
}
