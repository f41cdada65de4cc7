import { SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

const SKIP_RATE_LIMIT = 'facegate:skip-rate-limit';

/** Marks a controller or handler that no rate limit counts (health checks, metrics). */
export const SkipRateLimit = () => SetMetadata(SKIP_RATE_LIMIT, true);

export function isExemptFromRateLimits(reflector: Reflector, context: ExecutionContext): boolean {
  return (
    reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT, [
      context.getHandler(),
      context.getClass(),
    ]) === true
  );
}
