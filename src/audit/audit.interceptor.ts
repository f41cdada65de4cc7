import {
  HttpException,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { errorReplyRule } from '../common/error-replies.js';
import { AuditUnavailableError, DomainError } from '../common/errors.js';
import { withWriteParticipant, type WriteParticipant } from '../store/transactions.js';
import { AuditTrail, touchedByRequest } from './audit-trail.js';
import { AUDITED, type AuditedRoute } from './audited.decorator.js';

/**
 * Behind `@Audited(action)`: one entry per request. A write's entry joins the write's transaction
 * (committed with it or not at all); a request that wrote nothing, a read, gets its entry after the
 * handler and before the answer leaves, and answers 503 if the entry cannot be written: no
 * unrecorded look at a face. A failed request's entry (a 404, a 400) is written on a best-effort
 * basis: its answer discloses nothing.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly trail: AuditTrail,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const route = this.reflector.get<AuditedRoute | undefined>(AUDITED, context.getHandler());
    if (!route) return next.handle();
    return from(this.run(context, route, next));
  }

  private async run(
    context: ExecutionContext,
    route: AuditedRoute,
    next: CallHandler,
  ): Promise<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const status =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      (request.method === 'POST' ? 201 : 200);
    let joined = false;
    const participant: WriteParticipant = {
      join: async (manager, touch) => {
        // One entry per request: a second write of the same request has nothing to add.
        if (joined) return;
        const entry = this.trail.entryOf(
          request,
          route.action,
          status,
          touchedByRequest(request),
          touch,
        );
        if (touch.erasure === 'person') await this.trail.appendErasure(manager, entry, touch);
        else if (touch.erasure === 'collection') {
          await this.trail.appendCollectionErasure(manager, entry);
        } else await this.trail.append(entry, manager);
        joined = true;
      },
    };
    let answer: unknown;
    try {
      answer = await withWriteParticipant(participant, () => lastValueFrom(next.handle()));
    } catch (error) {
      // Whether or not a write's entry was rolled back with it, the failure has one of its own.
      await this.trail.appendIfPossible(
        this.trail.entryOf(request, route.action, statusOf(error), touchedByRequest(request)),
      );
      throw error;
    }
    if (!joined) {
      // A conditional read answered 304 (a thumbnail the browser holds) is recorded as such.
      const answered =
        context.switchToHttp().getResponse<Response>().statusCode === 304 ? 304 : status;
      const entry = this.trail.entryOf(
        request,
        route.action,
        answered,
        touchedByRequest(request),
        route.fromAnswer?.(answer) ?? {},
      );
      try {
        await this.trail.append(entry);
      } catch (error) {
        throw new AuditUnavailableError(error);
      }
    }
    return answer;
  }
}

/** The status the error filter will answer `error` with. */
function statusOf(error: unknown): number {
  if (error instanceof DomainError) return errorReplyRule(error)?.status ?? 500;
  if (error instanceof HttpException) return error.getStatus();
  return 500;
}
