import type { INestApplication } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../../src/app.module.js';
import type { ModuleImport } from '../../src/cli/context.js';
import { configureApp } from '../../src/app.setup.js';
import { validateEnvironment, type EnvironmentVariables } from '../../src/config/environment.js';
import { TEST_FACE_BACKEND } from './test-backend.js';
import { projectRoot } from '../../src/common/project-root.js';
import { createLogger } from '../../src/logging/logger.js';
import { NestPinoLogger } from '../../src/logging/nest-pino-logger.js';
import { testLogDestination } from './test-log.js';

export type EnvOverrides = Partial<Record<keyof EnvironmentVariables, string>>;

/**
 * The real application (real database, real models, real worker pool) as the service runs it, for
 * supertest. Without DATABASE_URL it uses an SQLite file in a fresh temporary DATA_DIR. `imports`
 * adds modules a command uses, sharing the application's instances; `replace` overrides providers
 * (the contract tier's fake engine).
 */
export async function startApp(
  overrides: EnvOverrides = {},
  imports: ModuleImport[] = [],
  replace: (builder: TestingModuleBuilder) => TestingModuleBuilder = (builder) => builder,
): Promise<INestApplication> {
  const env = validateEnvironment({
    DATA_DIR: mkdtempSync(join(tmpdir(), 'facegate-test-')),
    MODELS_DIR: join(projectRoot(), 'models'),
    FACE_BACKEND: TEST_FACE_BACKEND,
    LOG_LEVEL: 'warn',
    ...overrides,
  });
  const moduleRef = await replace(
    Test.createTestingModule({ imports: [AppModule.forRoot(env), ...imports] }),
  ).compile();
  // LOG_LEVEL decides, as in the service: warnings and errors only unless a test asks for more.
  const logger = createLogger(env.LOG_LEVEL, testLogDestination());
  const app = moduleRef.createNestApplication({ logger: new NestPinoLogger(logger) });
  configureApp(app, logger);
  try {
    await app.init();
  } catch (error) {
    // What did start (the worker pool, the database pool) would keep the test process alive.
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}

export function fixture(name: string): Buffer {
  return readFileSync(join(projectRoot(), 'test', 'fixtures', name));
}
