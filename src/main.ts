import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { configureApp } from './app.setup.js';
import { InvalidEnvironmentError, loadEnvFile, validateEnvironment } from './config/environment.js';
import { describeDatabase } from './database/data-source-options.js';
import { createLogger } from './logging/logger.js';
import { NestPinoLogger } from './logging/nest-pino-logger.js';

/** Longest a shutdown waits for requests in flight before it gives up on them. */
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * SIGTERM/SIGINT: stop accepting connections, let the requests in flight finish (they still need
 * the worker pool and the database), then close the pool and the database and exit 0. Nest's own
 * shutdown hooks would close the pool first and re-raise the signal.
 */
function handleShutdown(app: NestExpressApplication): void {
  const logger = new Logger('Shutdown');
  const shutdown = async (signal: NodeJS.Signals) => {
    logger.log(`${signal} received: refusing new connections, finishing requests in flight`);
    const timer = setTimeout(() => {
      logger.error(`Requests still running after ${DRAIN_TIMEOUT_MS} ms; exiting anyway`);
      process.exit(1);
    }, DRAIN_TIMEOUT_MS);
    timer.unref();
    const server = app.getHttpServer();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.close();
    logger.log('Worker pool and database closed; exiting');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, (received) => void shutdown(received));
  }
}

async function bootstrap(): Promise<void> {
  loadEnvFile();
  const env = validateEnvironment(process.env);
  const logger = createLogger(env.LOG_LEVEL);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(env), {
    logger: new NestPinoLogger(logger),
  });
  configureApp(app, logger);
  await app.listen(env.PORT, env.HOST);
  handleShutdown(app);
  Logger.log(
    `facegate listening on http://${env.HOST}:${env.PORT} (docs at /docs), database: ${describeDatabase(env)}`,
    'Bootstrap',
  );
}

bootstrap().catch((error: unknown) => {
  if (error instanceof InvalidEnvironmentError) {
    console.error(error.message);
  } else {
    Logger.error(
      error instanceof Error ? (error.stack ?? error.message) : String(error),
      'Bootstrap',
    );
  }
  process.exit(1);
});
