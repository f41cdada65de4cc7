import type { Request } from 'express';

/** The label of every request no controller route answered (unknown paths, static files). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route a request matched, as a template (`/delete_reference/{key}`), never the raw path: a
 * bounded set of values for metrics labels and log searches.
 */
export function routeTemplate(request: Request): string {
  const path: unknown = (request.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path.replace(/:(\w+)/g, '{$1}') : UNMATCHED_ROUTE;
}
