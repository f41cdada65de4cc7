import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import {
  NotAuthenticatedError,
  ScopeMissingError,
  KeyBoundToCollectionError,
  TooManyFailedAttemptsError,
} from '../common/errors.js';
import { KeyRing } from '../keys/key-ring.js';
import { FailedAttempts } from './failed-attempts.js';
import { IS_PUBLIC } from './public.decorator.js';
import { AuditTrail, touchedByRequest } from '../audit/audit-trail.js';
import { AUDITED, type AuditedRoute } from '../audit/audited.decorator.js';
import { setRequestKey } from './key-identity.js';
import { requiredScope, type RequiredScope } from './requires-scope.decorator.js';

/** What a route that names no scope needs: only an admin passes (the routes spec forbids it). */
const UNDECLARED: RequiredScope = { scope: 'admin', action: 'call this route' };

/** The key a request presents, in `X-API-Key` or as `Authorization: Bearer <key>`. */
export function presentedKey(request: Request): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

/**
 * Off unless API_KEYS is set. Then a request needs a key in force (one of API_KEYS, or a scoped
 * key not revoked nor expired; see KeyRing) that holds the route's scope (`@RequiresScope`): no key
 * answers 401, a key without the scope 403. An address that failed too often gets 429 instead of
 * 401 for its wrong keys, while a valid key still passes: one guesser behind a NAT or a proxy must
 * not lock out everyone sharing its address. That makes the key's length, not the lock, what
 * defeats guessing (API_KEYS asks for 16 characters or more, scoped secrets have 32 random bytes).
 * A refused attempt (401, 403) is entered in the audit trail; one refused for its address (429)
 * is not, so that a guesser cannot flood the trail.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly ring: KeyRing,
    private readonly reflector: Reflector,
    private readonly failures: FailedAttempts,
    private readonly audit: AuditTrail,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.ring.enabled) return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const address = request.ip ?? request.socket.remoteAddress ?? '';
    const retryAfter = this.failures.blockedFor(address);
    const secret = presentedKey(request);
    // A blocked address's keys are checked against memory only: its guesses cost no query.
    const identity =
      secret === undefined
        ? undefined
        : await this.ring.identify(secret, { lookUp: retryAfter === 0 });
    if (!identity) {
      if (retryAfter > 0) throw new TooManyFailedAttemptsError(retryAfter);
      this.failures.record(address);
      await this.recordRefusal(context, request, 401);
      throw new NotAuthenticatedError();
    }
    setRequestKey(request, identity);
    const needed = requiredScope(this.reflector, context.getHandler()) ?? UNDECLARED;
    if (!identity.scopes.includes(needed.scope)) {
      await this.recordRefusal(context, request, 403);
      throw new ScopeMissingError(needed.action, needed.scope);
    }
    if (needed.everyCollection && identity.collection !== null) {
      await this.recordRefusal(context, request, 403);
      throw new KeyBoundToCollectionError(needed.action, identity.collection);
    }
    return true;
  }

  private async recordRefusal(
    context: ExecutionContext,
    request: Request,
    status: number,
  ): Promise<void> {
    const route = this.reflector.get<AuditedRoute | undefined>(AUDITED, context.getHandler());
    await this.audit.appendIfPossible(
      this.audit.entryOf(request, route?.action ?? 'other', status, touchedByRequest(request)),
    );
  }
}
