import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { resolvedCollection } from './request-collection.js';

export const ACROSS_COLLECTIONS = 'facegate:across-collections';

/**
 * Marks a controller or handler that works across collections, or on none, rather than in the
 * request's one (the collections themselves, the audit trail, the calibration table): the
 * CollectionGuard leaves it alone, and X-Collection means nothing there.
 */
export const AcrossCollections = () => SetMetadata(ACROSS_COLLECTIONS, true);

/** The collection the request works on, as the CollectionGuard resolved it. */
export const InCollection = createParamDecorator(
  (_: unknown, context: ExecutionContext): string => {
    const collection = resolvedCollection(context.switchToHttp().getRequest<Request>());
    // A route marked @AcrossCollections() has none: asking for it there is a bug, never a default.
    if (collection === undefined) throw new Error('No collection resolved for this route');
    return collection;
  },
);
