import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { configureApp } from './app.setup.js';
import {
  InvalidEnvironmentError,
  validateEnvironment,
  type LogLevelSetting,
} from './config/environment.js';
import { describeDatabase } from './database/data-source-options.js';

const LEVELS: LogLevelSetting[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

async function bootstrap(): Promise<void> {
  const env = validateEnvironment(process.env);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(env), {
    logger: LEVELS.slice(0, LEVELS.indexOf(env.LOG_LEVEL) + 1),
  });
  configureApp(app);
  await app.listen(env.PORT, env.HOST);
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
