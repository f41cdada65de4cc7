import type { INestApplication } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/common/project-root.js';
import { EngineStatus } from '../../src/face-engine/engine-status.js';
import { FaceAnalyser } from '../../src/face-engine/face-analyser.js';
import { startApp, type EnvOverrides } from './app.js';
import { FakeFaceAnalyser } from './fake-face-analyser.js';

/** The model the shipped calibration table was measured on, so that security levels resolve. */
function calibratedModel(): string {
  const file = join(projectRoot(), 'models', 'calibration.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { model: string }).model;
}

export interface ContractApp {
  app: INestApplication;
  /** The engine in the app: set the faces it finds, or the error it throws, per test. */
  analyser: FakeFaceAnalyser;
}

/**
 * The real application (AppModule, its guards, pipes, filter and store) with both engine ports
 * overridden by a fake analyser, on SQLite in a fresh temporary folder: the HTTP contract in
 * seconds, with no model loaded and no database server (without DATABASE_URL in `overrides`, the
 * app's store is SQLite in the temporary DATA_DIR).
 */
export async function startContractApp(overrides: EnvOverrides = {}): Promise<ContractApp> {
  const analyser = new FakeFaceAnalyser();
  analyser.model = calibratedModel();
  const app = await startApp(overrides, [], (builder) =>
    builder
      .overrideProvider(FaceAnalyser)
      .useValue(analyser)
      .overrideProvider(EngineStatus)
      .useValue(analyser),
  );
  return { app, analyser };
}
