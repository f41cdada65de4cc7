import type { INestApplication } from '@nestjs/common';
import helmet from 'helmet';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { HttpErrorFilter } from './common/http-error.filter.js';
import { projectRoot } from './common/project-root.js';
import { RequestValidationPipe } from './common/validation.js';
import {
  applyServerTimeouts,
  bodyIdleTimeout,
  bodyMinRate,
  lingerOnEarlyClose,
} from './common/slow-clients.js';
import type { Logger } from 'pino';
import type { Application } from 'express';
import type { Server } from 'node:http';
import { AppConfig } from './config/app-config.js';
import { serveConsole } from './console/console-assets.js';
import { parseTrustProxy } from './config/trust-proxy.js';
import { createLogger } from './logging/logger.js';
import { requestLogging } from './logging/request-logging.js';
import { MetricsService } from './metrics/metrics.service.js';

/**
 * How long a connection answered before its body arrived keeps reading it before it closes: until
 * the client pauses this long, and this long in all at most (nginx's lingering_timeout and
 * lingering_time).
 */
const LINGER_IDLE_MS = 5000;
const LINGER_MAX_MS = 30_000;

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/** Builds the OpenAPI document from the controllers' and DTOs' decorators. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('facegate')
    .setDescription(
      'Self-hosted face recognition: enrol a reference face under a key, then check whether a new ' +
        'photo shows the same person. Errors are `{"detail": "..."}`.',
    )
    .setVersion(packageVersion())
    .addApiKey(
      {
        type: 'apiKey',
        name: 'X-API-Key',
        in: 'header',
        description: KEY_DESCRIPTION,
      },
      'api-key',
    )
    // addSecurity, not addBearerAuth: that one adds `bearerFormat: JWT`, and these are plain keys.
    .addSecurity('bearer', {
      type: 'http',
      scheme: 'bearer',
      description: `${KEY_DESCRIPTION}, as Authorization: Bearer <key>`,
    })
    .build();
  return withScopesDescribed(SwaggerModule.createDocument(app, config));
}

const KEY_DESCRIPTION =
  'A key of API_KEYS (every scope) or the secret of a scoped key made with POST /keys';

/**
 * OpenAPI 3.0's apiKey scheme has no scopes: each protected operation names the one it needs in
 * `x-required-scope` (from `@RequiresScope`), and its description says so for a human reader.
 */
function withScopesDescribed(document: OpenAPIObject): OpenAPIObject {
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path) as unknown[]) {
      const described = operation as { description?: string; 'x-required-scope'?: string };
      const scope = described?.['x-required-scope'];
      if (typeof scope !== 'string') continue;
      const needs = `Needs a key with the scope \`${scope}\` (when API_KEYS is set).`;
      described.description = described.description
        ? `${described.description}\n\n${needs}`
        : needs;
    }
  }
  return document;
}

/**
 * Everything the running service and the e2e tests share beyond the module graph. `logger` writes
 * the request lines; give the one the application logs with (a new one at LOG_LEVEL otherwise).
 */
export function configureApp(app: INestApplication, logger?: Logger): void {
  const config = app.get(AppConfig);
  // Before anything reads req.ip: the rate limits, failed logins and the request log.
  (app.getHttpAdapter().getInstance() as Application).set(
    'trust proxy',
    parseTrustProxy(config.env.TRUST_PROXY ?? 'false'),
  );
  applyServerTimeouts(app.getHttpServer() as Server, config.env);
  lingerOnEarlyClose(app.getHttpServer() as Server, {
    idleMs: Math.min(LINGER_IDLE_MS, config.env.HTTP_BODY_IDLE_TIMEOUT_MS),
    maxMs: Math.min(LINGER_MAX_MS, config.env.HTTP_REQUEST_TIMEOUT_MS),
  });
  // First, so that every response carries X-Request-Id and is logged and counted, errors included.
  app.use(requestLogging(logger ?? createLogger(config.env.LOG_LEVEL)));
  app.use(app.get(MetricsService).observeRequests);
  app.use(bodyIdleTimeout(config.env.HTTP_BODY_IDLE_TIMEOUT_MS));
  app.use(
    bodyMinRate({
      minBytesPerSecond: config.env.HTTP_BODY_MIN_BYTES_PER_SECOND,
      windowMs: config.env.HTTP_BODY_MIN_RATE_WINDOW_MS,
    }),
  );
  // Security headers on every response; the CSP allows what Swagger UI loads from this origin.
  // No upgrade-insecure-requests: on plain HTTP (a LAN host, a container) it would send the
  // browser to https:// for Swagger UI's own scripts and break the page.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  serveConsole(app);
  const origins = config.env.CORS_ORIGINS?.split(',').map((origin) => origin.trim());
  // A browser client reads these only if exposed: whether an answer is a replay, and when to retry.
  if (origins?.length) {
    app.enableCors({ origin: origins, exposedHeaders: ['Idempotent-Replayed', 'Retry-After'] });
  }
  app.useGlobalFilters(new HttpErrorFilter(config.env.MAX_UPLOAD_BYTES));
  app.useGlobalPipes(new RequestValidationPipe());
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
  });
}
