import { applyDecorators, SetMetadata } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { ApiExtension, ApiForbiddenResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/dto/error-response.dto.js';
import { ScopeMissingError } from '../common/errors.js';
import type { Scope } from './scopes.js';

export const REQUIRED_SCOPE = 'facegate:required-scope';

/** What a route needs of a key, and how its refusal names what was attempted. */
export interface RequiredScope {
  scope: Scope;
  /** A short phrase after "This key may not": "compare faces". */
  action: string;
  /**
   * The route reaches every collection (making or erasing collections): a key bound to one
   * collection may not call it even with the scope; only a key of every collection (API_KEYS) may.
   */
  everyCollection?: boolean;
}

/**
 * The scope a key must hold to call the handler (checked by ApiKeyGuard when API_KEYS is on). Every
 * handler that is not `@Public()` names one: `test/contract/scopes.contract-spec.ts` walks the
 * routes and fails on one that does not, and the guard refuses such a route to every key but an
 * admin one rather than let it through. OpenAPI gets the scope as `x-required-scope` and the 403.
 */
export const RequiresScope = (
  scope: Scope,
  action: string,
  { everyCollection = false }: { everyCollection?: boolean } = {},
): MethodDecorator =>
  applyDecorators(
    SetMetadata(REQUIRED_SCOPE, { scope, action, everyCollection } satisfies RequiredScope),
    ApiExtension('x-required-scope', scope),
    ApiForbiddenResponse({
      type: ErrorResponseDto,
      description: new ScopeMissingError(action, scope).message,
    }),
  );

/** The scope the handler was given with `@RequiresScope`, if any. */
export function requiredScope(
  reflector: Reflector,
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- Nest's own handler type
  handler: Function,
): RequiredScope | undefined {
  return reflector.get<RequiredScope | undefined>(REQUIRED_SCOPE, handler);
}
