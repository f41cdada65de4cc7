import type { FaceBox } from '../common/face-box.js';

/** Whether two faces are one person: the closest pair of faces of the two sides decides. */
export interface Verdict {
  verified: boolean;
  distance: number;
  threshold: number;
  model: string;
  /** The face on the first side (the stored reference) and on the second (the new photo). */
  faces: [FaceBox, FaceBox];
  seconds: number;
}
