import { pino } from 'pino';
import type { INestApplicationContext, ModuleMetadata, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigModule } from '../config/config.module.js';
import { validateEnvironment } from '../config/environment.js';
import { createLogger } from '../logging/logger.js';
import { NestPinoLogger } from '../logging/nest-pino-logger.js';

export type ModuleImport = NonNullable<ModuleMetadata['imports']>[number];

export interface ServiceContextOptions {
  /** Settings over the process environment, validated together as at start-up. */
  env?: Record<string, string | undefined>;
  /** Classes built with the context and given their collaborators, e.g. a command. */
  providers?: Type[];
  /** Log lines go to stderr: the command's own output is on stdout. */
  logToStderr?: boolean;
}

/**
 * The service's container without its HTTP server, for a command or a tool: the configuration,
 * and `imports` (the service's own feature modules) initialised as the service initialises them
 * (database connected, worker pool warmed up). Close it to release them.
 */
export async function createServiceContext(
  imports: ModuleImport[],
  { env = {}, providers = [], logToStderr = false }: ServiceContextOptions = {},
): Promise<INestApplicationContext> {
  const settings = validateEnvironment({ ...process.env, ...env });
  return NestFactory.createApplicationContext(
    { imports: [ConfigModule.forRoot(settings), ...imports], providers },
    {
      logger: new NestPinoLogger(
        createLogger(settings.LOG_LEVEL, logToStderr ? pino.destination(2) : undefined),
      ),
      // A failure to start (a backend that does not load, a database that never answers) is the
      // caller's to report; Nest's default would abort the process with a core dump.
      abortOnError: false,
    },
  );
}
