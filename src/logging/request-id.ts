import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * What a client or proxy may send as a request id: short, and nothing that could break a log line
 * or a header (UUIDs, hex, base64, `Root=1-...` trace ids pass).
 */
const SANE_REQUEST_ID = /^[\w.:=+/@-]{1,128}$/;

/** The incoming `X-Request-Id` when it is sane, else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}
