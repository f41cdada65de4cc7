import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiIdempotent } from '../common/api-docs.js';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';

/**
 * The route honours an Idempotency-Key header: a retry of the same request gets the first answer
 * again and changes nothing. Above `@PhotoForm` (decorators apply bottom-up, so this interceptor
 * then runs after multer and sees the files it fingerprints). A handler that names its answer with
 * `answerBeforeCommit` (answer.ts) before its write has it committed with the write; otherwise it
 * is recorded just after, and a crash in between leaves the retry a 409 saying so.
 */
export function Idempotent(docs: { withMissingFields?: boolean } = {}): MethodDecorator {
  return applyDecorators(UseInterceptors(IdempotencyInterceptor), ApiIdempotent(docs));
}
