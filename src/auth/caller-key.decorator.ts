import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { requestKey } from './key-identity.js';

/** The handler's parameter: the key the request was let in with (null when API_KEYS is off). */
export const CallerKey = createParamDecorator((_: unknown, context: ExecutionContext) =>
  requestKey(context.switchToHttp().getRequest<Request>()),
);
