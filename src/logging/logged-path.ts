import type { Request } from 'express';
import { routeTemplate } from '../common/route-template.js';

/** Route parameters that name a person: personal data, never written to a log. */
const PERSONAL_PARAMETERS = new Set(['subject']);
/** Collections whose next segment names a person, matched route or not. */
const PERSONAL_COLLECTIONS = new Set(['subjects']);
export const MASKED = '[redacted]';

/**
 * The request's path as logs may keep it: a person's name (`/subjects/{subject}`) replaced by
 * `[redacted]`, the rest as requested (a reference key is a random id and stays, so that an
 * operator can follow one).
 */
export function loggedPath(request: Request): string {
  // originalUrl: middleware mounted on a path (Swagger UI's files) rewrites req.url meanwhile.
  const path = (request.originalUrl ?? request.url ?? '').split('?', 1)[0];
  return maskPath(path, routeTemplate(request));
}

/**
 * `path` with the segments a personal `{parameter}` of `template` took masked, and the segment
 * after a personal collection: a request refused before routing (a malformed body) has no
 * template, and its path still names the person.
 */
export function maskPath(path: string, template: string): string {
  const parameters = template.split('/');
  const matched = parameters.length === path.split('/').length;
  return path
    .split('/')
    .map((segment, index, segments) => {
      const parameter = matched ? /^\{(\w+)\}$/.exec(parameters[index])?.[1] : undefined;
      const personal =
        (parameter !== undefined && PERSONAL_PARAMETERS.has(parameter)) ||
        (index > 0 && PERSONAL_COLLECTIONS.has(segments[index - 1]) && segment !== '');
      return personal ? MASKED : segment;
    })
    .join('/');
}
