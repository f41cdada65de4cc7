import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AuditTrail, touchedByRequest } from '../audit/audit-trail.js';
import { AUDITED, type AuditedRoute } from '../audit/audited.decorator.js';
import { IS_PUBLIC } from '../auth/public.decorator.js';
import { CollectionNotAllowedError, CollectionNotFoundError } from '../common/errors.js';
import { ACROSS_COLLECTIONS } from './collection.decorators.js';
import { KnownCollections } from './known-collections.js';
import { requestCollection, setResolvedCollection } from './request-collection.js';

/**
 * After the key: which collection the request works on (`requestCollection`), refused with 403
 * when its key may not name it and 404 when it does not exist, then set on the request for
 * `@InCollection()`, the idempotency keys and the audit trail. A refusal (403) is entered in the
 * audit trail as the key guard's 401 is.
 */
@Injectable()
export class CollectionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly known: KnownCollections,
    private readonly audit: AuditTrail,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    if (this.reflector.getAllAndOverride<boolean>(ACROSS_COLLECTIONS, targets)) return true;
    const request = context.switchToHttp().getRequest<Request>();
    let collection: string;
    try {
      collection = requestCollection(request);
    } catch (error) {
      if (error instanceof CollectionNotAllowedError) {
        const route = this.reflector.get<AuditedRoute | undefined>(AUDITED, context.getHandler());
        await this.audit.appendIfPossible(
          this.audit.entryOf(request, route?.action ?? 'other', 403, touchedByRequest(request)),
        );
      }
      throw error;
    }
    if (!(await this.known.exists(collection))) throw new CollectionNotFoundError(collection);
    setResolvedCollection(request, collection);
    return true;
  }
}
