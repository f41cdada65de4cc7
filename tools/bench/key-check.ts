/**
 * `npm run bench:keys`: what a scoped key costs a compare. One service without API_KEYS and one
 * with it, in this process on loopback, each with one worker; a reference enrolled in each, then
 * `count` compares of another photo of the person, taking turns between the two so that both see
 * the same machine. Each compare is audited either way: the difference is the key check and the
 * key's name in the entry. Also a read of a reference's metadata, audited too but with no analysis
 * to hide the key check in, and the key check alone (KeyRing.identify of a stored key in memory).
 *
 *   npm run bench:keys -- [--count 200] [--database mysql://root@127.0.0.1/facegate_bench] [--control]
 */
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AppModule } from '../../src/app.module.js';
import { configureApp } from '../../src/app.setup.js';
import { projectRoot } from '../../src/common/project-root.js';
import { validateEnvironment } from '../../src/config/environment.js';
import { KeyRing } from '../../src/keys/key-ring.js';
import { createLogger } from '../../src/logging/logger.js';
import { NestPinoLogger } from '../../src/logging/nest-pino-logger.js';
import { percentile } from './statistics.js';

const ADMIN = 'bench-admin-key-0123456789';
const WARM_UP = 20;
const IDENTIFY_COUNT = 100_000;

const photo = (name: string) => readFileSync(join(projectRoot(), 'test', 'fixtures', name));

interface Service {
  app: INestApplication;
  base: string;
  headers: Record<string, string>;
  reference: string;
}

async function start(env: Record<string, string>): Promise<INestApplication> {
  const settings = validateEnvironment({
    MODELS_DIR: join(projectRoot(), 'models'),
    FACE_WORKERS: '1',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_INFERENCE_PER_MINUTE: '0',
    ...env,
  });
  const logger = createLogger(settings.LOG_LEVEL);
  const app = await NestFactory.create(AppModule.forRoot(settings), {
    logger: new NestPinoLogger(logger),
  });
  configureApp(app, logger);
  await app.listen(0, '127.0.0.1');
  return app;
}

async function call(service: Pick<Service, 'base'>, path: string, init: RequestInit) {
  const response = await fetch(`${service.base}${path}`, init);
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

function form(fields: Record<string, string | Buffer>): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') body.append(name, value);
    else body.append(name, new Blob([value]), `${name}.jpg`);
  }
  return body;
}

async function prepare(app: INestApplication, keyed: boolean): Promise<Service> {
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  let headers: Record<string, string> = {};
  if (keyed) {
    const created = await call({ base }, '/keys', {
      method: 'POST',
      headers: { 'X-API-Key': ADMIN, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'bench',
        collection: 'default',
        scopes: ['enrol', 'verify', 'read'],
      }),
    });
    headers = { 'X-API-Key': String(created.secret) };
  }
  const enrolled = await call({ base }, '/upload_reference', {
    method: 'POST',
    headers,
    body: form({ image: photo('person-a-1.jpg') }),
  });
  return { app, base, headers, reference: String(enrolled.key) };
}

async function compare(service: Service, probe: Buffer): Promise<number> {
  const body = form({ reference_key: service.reference, image: probe });
  const start = performance.now();
  await call(service, '/compare_with_reference', {
    method: 'POST',
    headers: service.headers,
    body,
  });
  return performance.now() - start;
}

/** `GET /references/{key}`: no analysis, so the key check and the audit entry are most of it. */
async function readMetadata(service: Service): Promise<number> {
  const start = performance.now();
  await call(service, `/references/${service.reference}`, { headers: service.headers });
  return performance.now() - start;
}

const summary = (label: string, times: number[]) =>
  `${label}: p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms`;

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '200' },
    database: { type: 'string' },
    // Both services without API_KEYS: what two alike services differ by, the measure's own noise.
    control: { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const where = (name: string): Record<string, string> =>
  values.database
    ? { DATABASE_URL: values.database }
    : { DATA_DIR: mkdtempSync(join(tmpdir(), `facegate-bench-keys-${name}-`)) };

const open = await prepare(await start(where('open')), false);
const keyed = values.control
  ? await prepare(await start(where('control')), false)
  : await prepare(await start({ ...where('keyed'), API_KEYS: ADMIN }), true);
try {
  const probe = photo('person-a-2.jpg');
  const times = { open: [] as number[], keyed: [] as number[] };
  const reads = { open: [] as number[], keyed: [] as number[] };
  for (let i = 0; i < WARM_UP + count; i++) {
    // Taking turns, the first of each pair alternating: drift and order weigh on both alike.
    const order = i % 2 === 0 ? (['open', 'keyed'] as const) : (['keyed', 'open'] as const);
    for (const which of order) {
      const service = which === 'open' ? open : keyed;
      const took = await compare(service, probe);
      const read = await readMetadata(service);
      if (i >= WARM_UP) {
        times[which].push(took);
        reads[which].push(read);
      }
    }
  }
  const database = values.database ? 'MySQL/MariaDB' : 'SQLite';
  console.log(
    `${database}, ${count} compares each, one worker${values.control ? ' (control: no keys)' : ''}:`,
  );
  console.log(`  ${summary('API_KEYS unset         ', times.open)}`);
  console.log(`  ${summary('scoped key (verify)    ', times.keyed)}`);
  const difference = (p: number) => percentile(times.keyed, p) - percentile(times.open, p);
  // Each pair ran back to back: the median of their differences shrugs off the machine's drift.
  const paired = times.keyed.map((took, i) => took - times.open[i]);
  console.log(
    `  added by the key: p50 ${difference(50).toFixed(1)} ms, p99 ${difference(99).toFixed(1)} ms; ` +
      `median of the paired differences ${percentile(paired, 50).toFixed(1)} ms`,
  );
  console.log(`  ${summary('GET /references/{key}, API_KEYS unset', reads.open)}`);
  console.log(`  ${summary('GET /references/{key}, scoped key    ', reads.keyed)}`);
  if (!values.control) {
    const ring = keyed.app.get(KeyRing);
    const checks: number[] = [];
    for (let i = 0; i < IDENTIFY_COUNT; i++) {
      const start = performance.now();
      await ring.identify(keyed.headers['X-API-Key'], { lookUp: true });
      checks.push(performance.now() - start);
    }
    console.log(
      `  key check alone (stored key in memory): p50 ${(percentile(checks, 50) * 1000).toFixed(1)} µs, ` +
        `p99 ${(percentile(checks, 99) * 1000).toFixed(1)} µs (${IDENTIFY_COUNT} checks)`,
    );
  }
} finally {
  await keyed.app.close();
  await open.app.close();
}
