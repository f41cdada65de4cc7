/**
 * Which faces of a photo a caller wants analysed: the part of the engine's contract the services
 * speak. The rule that applies it is face-selection-rule.ts.
 */

/** Which of the faces found a caller needs embedded; the others are never embedded. */
export type FaceSelection =
  /** Enrolment: the face the photo is about, if one clearly is (`reject`: only a lone face). */
  | { kind: 'subject'; policy: MultiFacePolicy }
  /** Search, and comparison when asked for every face: the largest faces, at most `max`. */
  | { kind: 'largest'; max: number }
  /**
   * Comparison: the face the photo is about, by the `dominant` rule; when none clearly is (a
   * group), the largest faces, at most `max`, as `largest` would.
   */
  | { kind: 'subjectOrLargest'; max: number };

export type MultiFacePolicy = 'dominant' | 'reject';
