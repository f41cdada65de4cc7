import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { normalizeIp } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { RateLimitedError } from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import type { EnvironmentVariables } from '../config/environment.js';
import { isInferenceRoute } from './inference-route.decorator.js';
import { RateBudgets, type Budget } from './rate-budgets.js';
import { isExemptFromRateLimits } from './skip-rate-limit.decorator.js';

const MINUTE_MS = 60_000;

/** The budgets the environment asks for: each absent when its limit is 0. */
export interface RateLimits {
  /** RATE_LIMIT_PER_MINUTE: every route together. */
  everyRoute?: Budget;
  /** RATE_LIMIT_INFERENCE_PER_MINUTE: the routes that analyse a photo, besides the one above. */
  inference?: Budget;
}

export function rateLimits(
  env: Pick<EnvironmentVariables, 'RATE_LIMIT_PER_MINUTE' | 'RATE_LIMIT_INFERENCE_PER_MINUTE'>,
): RateLimits {
  const budget = (name: string, limit: number): Budget | undefined =>
    limit > 0 ? { name, limit, windowMs: MINUTE_MS } : undefined;
  return {
    everyRoute: budget('default', env.RATE_LIMIT_PER_MINUTE),
    inference: budget('inference', env.RATE_LIMIT_INFERENCE_PER_MINUTE),
  };
}

export function anyRateLimit(limits: RateLimits): boolean {
  return limits.everyRoute !== undefined || limits.inference !== undefined;
}

/**
 * Counts each request against its client's budgets: one for all routes, and one of its own for
 * the routes that analyse a photo. The client is `req.ip`, which believes X-Forwarded-For only as
 * far as TRUST_PROXY says (an IPv6 /64 counts as one client). A request is counted in all its
 * budgets or, when one refuses it, in none: @nestjs/throttler, used before, counted it in the
 * budgets checked before the one that refused, so requests over the inference limit used up the
 * general one too.
 */
@Injectable()
export class ClientRateLimitGuard implements CanActivate {
  private readonly limits: RateLimits;
  private readonly budgets = new RateBudgets();

  constructor(
    config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    this.limits = rateLimits(config.env);
  }

  canActivate(context: ExecutionContext): boolean {
    if (isExemptFromRateLimits(this.reflector, context)) return true;
    const { everyRoute, inference } = this.limits;
    const applicable = [everyRoute, isInferenceRoute(context) ? inference : undefined].filter(
      (budget): budget is Budget => budget !== undefined,
    );
    if (applicable.length === 0) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const client = normalizeIp(request.ip ?? request.socket.remoteAddress ?? '');
    const spending = this.budgets.spend(client, applicable);
    if (!spending.admitted) throw new RateLimitedError(spending.retryAfterSeconds);
    // The headers @nestjs/throttler sent, which clients may pace themselves by.
    const response = http.getResponse<Response>();
    for (const { budget, remaining, resetSeconds } of spending.states) {
      const suffix = budget.name === 'default' ? '' : `-${budget.name}`;
      response.setHeader(`X-RateLimit-Limit${suffix}`, budget.limit);
      response.setHeader(`X-RateLimit-Remaining${suffix}`, remaining);
      response.setHeader(`X-RateLimit-Reset${suffix}`, resetSeconds);
    }
    return true;
  }
}
