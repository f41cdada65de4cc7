import { Injectable, type ExecutionContext } from '@nestjs/common';
import {
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerOptions,
} from '@nestjs/throttler';
import type { Response } from 'express';
import type { EnvironmentVariables } from '../config/environment.js';
import { isInferenceRoute } from './inference-route.decorator.js';

const MINUTE_MS = 60_000;

/** The budgets the environment asks for; none when every limit is 0. */
export function rateLimits(
  env: Pick<EnvironmentVariables, 'RATE_LIMIT_PER_MINUTE' | 'RATE_LIMIT_INFERENCE_PER_MINUTE'>,
): ThrottlerOptions[] {
  const limits: ThrottlerOptions[] = [];
  if (env.RATE_LIMIT_PER_MINUTE > 0) {
    limits.push({ name: 'default', ttl: MINUTE_MS, limit: env.RATE_LIMIT_PER_MINUTE });
  }
  if (env.RATE_LIMIT_INFERENCE_PER_MINUTE > 0) {
    limits.push({
      name: 'inference',
      ttl: MINUTE_MS,
      limit: env.RATE_LIMIT_INFERENCE_PER_MINUTE,
      skipIf: (context) => !isInferenceRoute(context),
    });
  }
  return limits;
}

/**
 * @nestjs/throttler counts per route (its key names the controller and handler), which gave a
 * client the whole limit on every route. Here a budget's key is its name and the client's address
 * alone, so all routes draw on one budget per client; the address is `req.ip`, which believes
 * X-Forwarded-For only as far as TRUST_PROXY says.
 */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    name: string,
  ): string {
    return `${name}:${tracker}`;
  }

  /** Every budget answers with the standard Retry-After (the library names it per budget). */
  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    context
      .switchToHttp()
      .getResponse<Response>()
      .setHeader('Retry-After', detail.timeToBlockExpire);
    await super.throwThrottlingException(context, detail);
  }
}
