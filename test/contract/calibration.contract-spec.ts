// GET /calibration: the operating points the service judges by, as a client that draws them reads
// them; on the fake engine, named as the shipped table's model so that the table applies.
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { projectRoot } from '../../src/common/project-root.js';
import type { CalibrationTable } from '../../src/face-engine/calibration.js';
import { startContractApp, type ContractApp } from '../support/contract-app.js';

const shipped = JSON.parse(
  readFileSync(join(projectRoot(), 'models', 'calibration.json'), 'utf8'),
) as CalibrationTable;

describe('GET /calibration', () => {
  let contract: ContractApp;
  let server: App;
  const apps: INestApplication[] = [];

  before(async () => {
    contract = await startContractApp({
      FACE_MATCH_THRESHOLD: '0.07',
      API_KEYS: 'console-key-0123456789',
    });
    apps.push(contract.app);
    server = contract.app.getHttpServer() as App;
  });

  after(async () => {
    for (const app of apps) await app.close();
  });

  it('should answer the configured default, the levels and the rates of the shipped table', async () => {
    const answer = await request(server)
      .get('/calibration')
      .set('X-API-Key', 'console-key-0123456789')
      .expect(200);
    assert.deepEqual(answer.body, {
      model: shipped.model,
      default_threshold: 0.07,
      measured_on: shipped.measuredOn,
      impostor_pairs: shipped.impostorPairs,
      levels: shipped.thresholds,
      far: shipped.far,
    });
  });

  it('should answer 401 without a key when API_KEYS is set', async () => {
    await request(server).get('/calibration').expect(401);
  });

  it('should answer no levels and no rates for a model the table was not measured on', async () => {
    const other = await startContractApp();
    apps.push(other.app);
    other.analyser.model = 'another-model@1+p0';
    const answer = await request(other.app.getHttpServer() as App)
      .get('/calibration')
      .expect(200);
    assert.deepEqual(answer.body, {
      model: 'another-model@1+p0',
      default_threshold: 0.079,
      measured_on: null,
      impostor_pairs: null,
      levels: null,
      far: [],
    });
  });
});
