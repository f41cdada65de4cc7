import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request, Response } from 'express';
import helmet from 'helmet';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where `npm run build` puts the console (`scripts/build-console.mjs`): beside the compiled
 * `src/`, so `dist/console` for the service and `build/console` for the tests.
 */
export const CONSOLE_DIR = join(import.meta.dirname, '..', '..', 'console');

/**
 * The console's pages may load only their own files: no inline script or style, no eval. Images
 * are the API's, fetched with the key and shown as blob: URLs, and the photos a person picks to
 * try, shown as data: URLs before they are sent.
 */
const consolePolicy = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    connectSrc: ["'self'"],
    fontSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'self'"],
  },
});

/**
 * Serves the operator console at /console: static files, before Nest's routing, so without an API
 * key (the page asks for one and sends it with every call it makes) and without the rate limits.
 */
export function serveConsole(app: INestApplication, dir = CONSOLE_DIR): void {
  app.use('/console', consolePolicy);
  if (!existsSync(join(dir, 'index.html'))) {
    app.use('/console', (_request: Request, response: Response) => {
      response.status(404).json({ detail: 'The console is not built: run npm run build' });
    });
    return;
  }
  (app as NestExpressApplication).useStaticAssets(dir, {
    prefix: '/console',
    index: 'index.html',
    // File names under assets/ carry a hash of their content; index.html names the current ones.
    setHeaders: (response: Response, path: string) => {
      response.setHeader(
        'Cache-Control',
        path.includes(`${join(dir, 'assets')}`)
          ? 'public, max-age=31536000, immutable'
          : 'no-cache',
      );
    },
  });
  // A path under /console that is no file.
  app.use('/console', (_request: Request, response: Response) => {
    response.status(404).json({ detail: 'Not Found' });
  });
}
