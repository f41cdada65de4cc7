import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { NotAuthenticatedError, TooManyFailedAttemptsError } from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import { FailedAttempts } from './failed-attempts.js';
import { IS_PUBLIC } from './public.decorator.js';
import { AuditTrail, touchedByRequest } from '../audit/audit-trail.js';
import { AUDITED, type AuditedRoute } from '../audit/audited.decorator.js';
import { keyIdentity, setRequestKey, type RequestKey } from './key-identity.js';

const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/** The key a request presents, in `X-API-Key` or as `Authorization: Bearer <key>`. */
export function presentedKey(request: Request): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

/**
 * Off unless API_KEYS is set. Keys are compared as SHA-256 digests with `timingSafeEqual`, against
 * every configured key without stopping early, so the time taken says nothing about any key. An
 * address that failed too often gets 429 instead of 401 for its wrong keys, while a valid key
 * still passes: one guesser behind a NAT or a proxy must not lock out everyone sharing its
 * address. That makes the key's length, not the lock, what defeats guessing (API_KEYS asks for 16
 * characters or more). A refused attempt (401) is entered in the audit trail; one refused for its
 * address (429) is not, so that a guesser cannot flood the trail.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: { digest: Buffer; identity: RequestKey }[];

  constructor(
    config: AppConfig,
    private readonly reflector: Reflector,
    private readonly failures: FailedAttempts,
    private readonly audit: AuditTrail,
  ) {
    this.keys = (config.env.API_KEYS ?? '')
      .split(',')
      .filter((key) => key !== '')
      .map((key, index) => ({ digest: digest(key), identity: keyIdentity(key, index) }));
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.keys.length === 0) return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const identity = this.matches(presentedKey(request));
    if (identity) {
      setRequestKey(request, identity);
      return true;
    }
    const address = request.ip ?? request.socket.remoteAddress ?? '';
    const retryAfter = this.failures.blockedFor(address);
    if (retryAfter > 0) throw new TooManyFailedAttemptsError(retryAfter);
    this.failures.record(address);
    const route = this.reflector.get<AuditedRoute | undefined>(AUDITED, context.getHandler());
    await this.audit.appendIfPossible(
      this.audit.entryOf(request, route?.action ?? 'other', 401, touchedByRequest(request)),
    );
    throw new NotAuthenticatedError();
  }

  private matches(key: string | undefined): RequestKey | undefined {
    if (key === undefined) return undefined;
    const presented = digest(key);
    let matched: RequestKey | undefined;
    for (const known of this.keys) {
      if (timingSafeEqual(presented, known.digest)) matched = known.identity;
    }
    return matched;
  }
}
