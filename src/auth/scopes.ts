/**
 * What a key may do (issue 23, item 2). A key of API_KEYS holds every scope; a key made through
 * `POST /keys` holds the ones it was given.
 */
export const SCOPES = ['enrol', 'verify', 'identify', 'read', 'images', 'delete', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];
