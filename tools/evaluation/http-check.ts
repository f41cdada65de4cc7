// `npm run evaluate:http`: the calibration's verdicts again, end to end through the HTTP API. It
// starts the service (embedded SQLite in a temporary folder), uploads every photo of the labelled
// sets with POST /upload_reference, sends the second photo of each pair to
// POST /compare_with_reference, and reports false accepts and rejects at the service's threshold;
// for lfw-dev also as LFW results are reported (5-fold accuracy, TAR at FAR 0.1% and 1%), from the
// distances the API answered.
// A compare embeds its photo again, so ORL's pairs (every photo against every other) are sampled
// by a fixed rule: every `--orl-same-every`-th same-person and `--orl-different-every`-th
// different-person pair.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppModule } from '../../src/app.module.js';
import { configureApp } from '../../src/app.setup.js';
import { validateEnvironment } from '../../src/config/environment.js';
import {
  deepFaceMaster,
  identityFolders,
  lfwPairs,
  type LabelledPair,
  type LabelledSet,
} from './labelled-sets.js';
import { acceptRateAtFar, evaluate, foldAccuracy, type ScoredPair } from './verdicts.js';

const { values: args } = parseArgs({
  options: {
    faces: { type: 'string', default: '../shared/faces' },
    out: { type: 'string', default: 'docs/calibration/http-summary.json' },
    'orl-same-every': { type: 'string', default: '9' },
    'orl-different-every': { type: 'string', default: '390' },
  },
});
const facesDir = resolve(args.faces);

function everyNth(pairs: LabelledPair[], same: boolean, step: number): LabelledPair[] {
  return pairs.filter((pair) => pair.same === same).filter((_, index) => index % step === 0);
}

const orl = identityFolders('orl', join(facesDir, 'orl'));
const orlSample: LabelledSet = {
  ...orl,
  pairs: [
    ...everyNth(orl.pairs, true, Number(args['orl-same-every'])),
    ...everyNth(orl.pairs, false, Number(args['orl-different-every'])),
  ],
};
const sets = [
  lfwPairs('lfw-dev', join(facesDir, 'lfw-dev')),
  deepFaceMaster('deepface', join(facesDir, 'deepface')),
  identityFolders('people', join(facesDir, 'people')),
  orlSample,
];

const env = validateEnvironment({
  ...process.env,
  DATABASE_URL: '',
  DATA_DIR: mkdtempSync(join(tmpdir(), 'facegate-http-check-')),
  LOG_LEVEL: 'warn',
});
const app = await NestFactory.create(AppModule.forRoot(env), { logger: ['error', 'warn'] });
configureApp(app);
await app.listen(0, '127.0.0.1');
const base = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;

function form(path: string, fields: Record<string, string> = {}): FormData {
  const body = new FormData();
  body.append('image', new Blob([readFileSync(path)]), basename(path));
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return body;
}

async function post(path: string, body: FormData): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${base}${path}`, { method: 'POST', body });
  return { status: response.status, body: await response.json() };
}

/** Runs `work` over `items` with `concurrency` requests in flight. */
async function pool<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

const concurrency = env.FACE_WORKERS;
const keys = new Map<string, string>();
const refused = new Map<string, string>();
const references = [...new Set(sets.flatMap((set) => set.pairs.map((pair) => pair.reference)))];
await pool(references, concurrency, async (path) => {
  const { status, body } = await post('/upload_reference', form(path));
  if (status === 200) keys.set(path, (body as { key: string }).key);
  else refused.set(path, `${status} ${JSON.stringify(body)}`);
});

let threshold = Number.NaN;
const summary: Record<string, unknown> = {};
for (const set of sets) {
  const scored: ScoredPair[] = [];
  let errors = 0;
  await pool(set.pairs, concurrency, async (pair) => {
    const key = keys.get(pair.reference);
    // A reference the service would not enrol, or a compare it did not answer: a wrong answer.
    const refuse = () =>
      scored.push({
        distance: Number.POSITIVE_INFINITY,
        same: pair.same,
        refused: true,
        fold: pair.fold,
      });
    if (!key) {
      refuse();
      return;
    }
    const { status, body } = await post(
      '/compare_with_reference',
      form(pair.probe, { reference_key: key }),
    );
    if (status !== 200) {
      errors++;
      refuse();
      return;
    }
    const { result } = body as { result: { distance: number; threshold: number } };
    threshold = result.threshold;
    scored.push({ distance: result.distance, same: pair.same, refused: false, fold: pair.fold });
  });
  const row = evaluate(scored, threshold);
  const percent = (share: number) => `${(share * 100).toFixed(2)}%`;
  const uploaded = [...new Set(set.pairs.map((pair) => pair.reference))];
  const uploadsRefused = uploaded.filter((path) => refused.has(path)).length;
  let protocol = {};
  if (scored.some((pair) => pair.fold !== undefined)) {
    const folds = foldAccuracy(scored);
    const [tar01, tar1] = [0.001, 0.01].map((rate) => acceptRateAtFar(scored, rate));
    protocol = {
      foldAccuracy: { mean: folds.mean, sd: folds.sd },
      tarAtFar: { 0.001: tar01, 0.01: tar1 },
    };
    console.log(
      `${set.name}: 5-fold accuracy ${percent(folds.mean)} ± ${percent(folds.sd)}; ` +
        `TAR ${percent(tar01.acceptRate)} at FAR 0.1% (${tar01.threshold.toFixed(4)}), ` +
        `${percent(tar1.acceptRate)} at FAR 1% (${tar1.threshold.toFixed(4)})`,
    );
  }
  summary[set.name] = { ...row, ...protocol, uploadsRefused, nonOkCompares: errors };
  console.log(
    `${set.name}: ${row.pairs} pairs through HTTP, accuracy ${percent(row.accuracy)}, ` +
      `false accepts ${row.falseAccepts} (${percent(row.falseAcceptRate)}), ` +
      `false rejects ${row.falseRejects} (${percent(row.falseRejectRate)}), ` +
      `uploads refused ${uploadsRefused} of ${uploaded.length}, non-200 compares ${errors}`,
  );
}
console.log(`threshold ${threshold}; uploads refused: ${refused.size}`);
for (const [path, reason] of refused) console.log(`  refused ${path}: ${reason}`);
writeFileSync(
  resolve(args.out),
  `${JSON.stringify({ threshold, uploadsRefused: Object.fromEntries(refused), sets: summary }, null, 2)}\n`,
);
await app.close();
