/** The false accept rate each security level allows, on the real-world calibration set. */
export const SECURITY_LEVELS = { high: 0.0001, medium: 0.001, low: 0.01 } as const;
export type SecurityLevel = keyof typeof SECURITY_LEVELS;
export const SECURITY_LEVEL_NAMES = Object.keys(SECURITY_LEVELS) as SecurityLevel[];

/**
 * The false positive identification rate each security level allows a search (`/identify`): the
 * share of searches by people who are not in the gallery that return a match, whatever its size.
 */
export const SEARCH_SECURITY_LEVELS = {
  high: 0.001,
  medium: 0.01,
  low: 0.1,
} as const satisfies Record<SecurityLevel, number>;

/** What a client may ask a verdict to be judged by; neither means FACE_MATCH_THRESHOLD. */
export interface OperatingPoint {
  threshold?: number;
  security?: SecurityLevel;
}
