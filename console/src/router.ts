import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'people' }
  | { page: 'person'; subject: string }
  | { page: 'try' }
  | { page: 'calibration' }
  | { page: 'service' }
  | { page: 'audit' }
  | { page: 'keys' };

/** Hash routes: the service serves one index.html, and a reload lands on the same page. */
export function parse(hash: string): Route {
  const [, page = '', ...rest] = hash.replace(/^#/, '').split('/');
  switch (page) {
    case 'person':
      return rest.length
        ? { page: 'person', subject: decodeURIComponent(rest.join('/')) }
        : { page: 'people' };
    case 'try':
    case 'calibration':
    case 'service':
    case 'audit':
    case 'keys':
      return { page };
    default:
      return { page: 'people' };
  }
}

export function href(page: Route['page'], subject?: string): string {
  if (page === 'person' && subject !== undefined) return `#/person/${encodeURIComponent(subject)}`;
  return `#/${page}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const follow = () => setRoute(parse(location.hash));
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  return route;
}
