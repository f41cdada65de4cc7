import { normalizeIp } from '@nestjs/throttler';
import type { Request } from 'express';
import { createHash } from 'node:crypto';
import { presentedKey } from '../auth/api-key.guard.js';

/**
 * Whose share of the upload budget a request counts against: its address (`req.ip`, which
 * believes X-Forwarded-For only as far as TRUST_PROXY says; an IPv6 /64 is one client, as for the
 * rate limits) and, when API_KEYS is on, the key it presented (the guard has checked it before
 * any upload is admitted). Both, not the key alone: a deployment with one key for all its callers
 * would otherwise give them all one share; and the key still tells apart callers that share an
 * address, such as those behind a proxy that TRUST_PROXY does not name. The key is kept as a
 * digest, never as given.
 */
export function uploadClientOf(request: Request, keyed: boolean): string {
  const address = normalizeIp(request.ip ?? request.socket?.remoteAddress ?? '');
  const key = keyed ? presentedKey(request) : undefined;
  if (key === undefined) return address;
  const digest = createHash('sha256').update(key, 'utf8').digest('base64url').slice(0, 22);
  return `${address} key:${digest}`;
}
