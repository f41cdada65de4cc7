import { SetMetadata, type ExecutionContext } from '@nestjs/common';

const INFERENCE_ROUTE = 'facegate:inference-route';

/** Marks a handler that analyses photos: it counts against RATE_LIMIT_INFERENCE_PER_MINUTE too. */
export const InferenceRoute = () => SetMetadata(INFERENCE_ROUTE, true);

export function isInferenceRoute(context: ExecutionContext): boolean {
  return Reflect.getMetadata(INFERENCE_ROUTE, context.getHandler()) === true;
}
