import {
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { presentedKey } from '../auth/api-key.guard.js';
import { resolvedCollection } from '../collections/request-collection.js';
import {
  IdempotencyKeyReusedError,
  IdempotentAnswerLostError,
  IdempotentRequestInProgressError,
} from '../common/errors.js';
import { asOperation } from '../common/operation.js';
import { AppConfig } from '../config/app-config.js';
import { withWriteParticipant, type WriteParticipant } from '../store/transactions.js';
import { pendingAnswers, type PendingAnswer } from './answer.js';
import { IdempotencyStore, type HeldKey } from './idempotency-store.js';
import {
  fingerprint,
  parseIdempotencyKey,
  scopeOf,
  type RequestFile,
} from './idempotent-request.js';

type MultipartRequest = Request & { files?: Record<string, Express.Multer.File[] | undefined> };

/** Expired keys deleted at most once a minute, a bounded batch, on the way of a new request. */
const PURGE_INTERVAL_MS = 60_000;
const PURGE_BATCH = 500;

/**
 * Behind `@Idempotent()`: takes the request's Idempotency-Key (per API key) before the handler
 * runs, answers a retry from the store instead of running it, and lets the handler's write commit
 * its answer (`answerBeforeCommit`) in the same transaction, or mark the key written when the
 * handler could not name it first.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger(IdempotencyInterceptor.name);
  private readonly keysOn: boolean;
  private lastPurge = 0;

  constructor(
    private readonly store: IdempotencyStore,
    private readonly reflector: Reflector,
    config: AppConfig,
  ) {
    this.keysOn = (config.env.API_KEYS ?? '') !== '';
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<MultipartRequest>();
    const header = request.headers['idempotency-key'];
    if (header === undefined) return next.handle();
    const key = parseIdempotencyKey(header);
    return from(this.handle(context, key, next));
  }

  private async handle(context: ExecutionContext, key: string, next: CallHandler) {
    const http = context.switchToHttp();
    const request = http.getRequest<MultipartRequest>();
    const response = http.getResponse<Response>();
    const status = this.statusOf(context, request);
    const now = new Date();
    this.purgeNowAndThen(now);
    const claim = await asOperation('Error reading idempotency key', () =>
      this.store.claim(
        {
          scope: scopeOf(this.keysOn ? presentedKey(request) : undefined),
          // Every @Idempotent route works in a collection; '' would be one that does not.
          collection: resolvedCollection(request) ?? '',
          key,
          fingerprint: fingerprint({
            method: request.method,
            route: (request.route as { path?: string } | undefined)?.path ?? request.path,
            params: request.params as Record<string, string>,
            query: request.query,
            body: request.body as unknown,
            files: filesOf(request),
          }),
        },
        now,
      ),
    );
    switch (claim.outcome) {
      case 'other-request':
        throw new IdempotencyKeyReusedError();
      case 'in-progress':
        throw new IdempotentRequestInProgressError(claim.retryAfterSeconds);
      case 'answer-lost':
        throw new IdempotentAnswerLostError();
      case 'answered':
        response.status(claim.answer.status).setHeader('Idempotent-Replayed', 'true');
        return claim.answer.body;
      case 'held':
        return this.run(claim.key, status, next);
    }
  }

  /** Runs the handler holding the key; frees it when the handler fails before any commit. */
  private async run(held: HeldKey, status: number, next: CallHandler): Promise<unknown> {
    const pending: PendingAnswer = {};
    let answered = false;
    let joined = false;
    const participant: WriteParticipant = {
      join: async (manager) => {
        // The first write decides: a second write of the same request has nothing to add.
        if (joined) return;
        // A route that cannot name its answer before its write (the answer reads what the write
        // did) still writes once; only a crash between its commit and its answer loses the answer.
        const named = 'body' in pending;
        await this.store.answerWithin(manager, held, named ? { status, body: pending.body } : null);
        joined = true;
        answered = named;
      },
    };
    let body: unknown;
    try {
      body = await withWriteParticipant(participant, () =>
        pendingAnswers.run(pending, () => lastValueFrom(next.handle())),
      );
    } catch (error) {
      // Only a key still running is freed: one whose answer committed keeps replaying it.
      await this.store.release(held).catch((releaseError: unknown) => {
        this.logger.warn(`Could not free an idempotency key: ${String(releaseError)}`);
      });
      throw error;
    }
    // A request that changed nothing, or whose write could not carry its answer, records it now.
    if (!answered) {
      await asOperation('Error recording idempotency key', () =>
        this.store.answer(held, { status, body }),
      );
    }
    return body;
  }

  /** The status the route answers with: its @HttpCode, else Nest's default for the method. */
  private statusOf(context: ExecutionContext, request: Request): number {
    return (
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      (request.method === 'POST' ? 201 : 200)
    );
  }

  private purgeNowAndThen(now: Date): void {
    if (now.getTime() - this.lastPurge < PURGE_INTERVAL_MS) return;
    this.lastPurge = now.getTime();
    this.store.purgeExpired(now, PURGE_BATCH).then(
      (purged) => {
        if (purged > 0) this.logger.debug(`Purged ${purged} expired idempotency keys`);
      },
      (error: unknown) => this.logger.warn(`Could not purge idempotency keys: ${String(error)}`),
    );
  }
}

/** The files multer read; a multipart request it has not read yet is a decorator out of order. */
function filesOf(request: MultipartRequest): RequestFile[] {
  if (request.files === undefined) {
    if (request.is('multipart/form-data')) {
      throw new Error('@Idempotent() must be placed above @PhotoForm(...), to run after multer');
    }
    return [];
  }
  return Object.entries(request.files).flatMap(([field, files]) =>
    (files ?? []).map((file) => ({ field, filename: file.originalname, bytes: file.buffer })),
  );
}
