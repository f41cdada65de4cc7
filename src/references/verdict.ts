import type { FaceBox } from '../common/face-box.js';

/** Whether two faces are one person: the closest pair of faces of the two sides decides. */
export interface Verdict {
  verified: boolean;
  distance: number;
  threshold: number;
  model: string;
  /** The share of different people's pairs at least this close, where the model is calibrated. */
  falseAcceptRate?: number;
  /** The face on the first side (the stored reference) and on the second (the new photo). */
  faces: [FaceBox, FaceBox];
  /** Faces found in the new photo(s) but not compared (over MAX_FACES_PER_IMAGE). */
  facesSkipped: number;
  seconds: number;
}
