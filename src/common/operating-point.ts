/** The false accept rate each security level allows, on the real-world calibration set. */
export const SECURITY_LEVELS = { high: 0.0001, medium: 0.001, low: 0.01 } as const;
export type SecurityLevel = keyof typeof SECURITY_LEVELS;
export const SECURITY_LEVEL_NAMES = Object.keys(SECURITY_LEVELS) as SecurityLevel[];

/** What a client may ask a verdict to be judged by; neither means FACE_MATCH_THRESHOLD. */
export interface OperatingPoint {
  threshold?: number;
  security?: SecurityLevel;
}
