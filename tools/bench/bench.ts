// `npm run bench`: starts the built service as a child process (SQLite in a temporary DATA_DIR
// unless DATABASE_URL is set), enrols the photos of a folder, and drives real HTTP load with
// autocannon: upload, compare and list at several concurrencies, then the same compares against a
// one-worker service (FACE_WORKERS=1) started after it, for the pool's speed-up. Several rounds,
// medians reported. Also: list latency while compares saturate the pool, first request after a
// start, peak RSS, list and compare with a large store, and (`--leak`) RSS after 200 vs 2,000
// compares. `--smoke` is the few-request run CI keeps working. Prints everything the tables of
// docs/performance.md need; `--json FILE` writes the same figures.
import { execSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../../src/common/project-root.js';
import { drive, multipartRequest, send, type Budget, type LoadResult, type Photo } from './load.js';
import { ServiceProcess } from './service-process.js';
import { median, round } from './statistics.js';
import { table } from './table.js';
import { benchVariants } from './variants.js';
import { StoreAccess, type QueryPlan } from '../../test/support/store-access.js';

const { values: args } = parseArgs({
  options: {
    photos: { type: 'string' },
    match: { type: 'string' },
    'max-photos': { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '20' },
    'list-seconds': { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1,2,4' },
    'list-references': { type: 'string', default: '100' },
    'store-size': { type: 'string', default: '10000' },
    json: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    leak: { type: 'boolean', default: false },
    'leak-compares': { type: 'string', default: '2000' },
    backends: { type: 'string' },
  },
});

if (args.backends) {
  // The whole bench per backend, then side by side (variants.ts); every other option passed on.
  const passed: string[] = [];
  const argv = process.argv.slice(2);
  for (let index = 0; index < argv.length; index++) {
    const option = argv[index];
    if (option === '--backends' || option === '--json') index++;
    else if (!option.startsWith('--backends=') && !option.startsWith('--json='))
      passed.push(option);
  }
  await benchVariants(args.backends, passed, args.json);
  process.exit(0);
}

const smoke = args.smoke;
/**
 * Without a folder: the four one-face JPEG photos of test/fixtures (0.2 to 0.8 MP camera photos;
 * its tight crops, variants and group photo test other things). With a folder: every JPEG and PNG.
 */
const photoFolder = resolve(args.photos ?? join(projectRoot(), 'test', 'fixtures'));
const photoPattern = new RegExp(
  args.match ?? (args.photos ? '\\.(jpe?g|png)$' : '^person-[ab]-[12]\\.jpg$'),
  'i',
);
const settings = {
  rounds: smoke ? 1 : Number(args.rounds),
  maxPhotos: smoke ? 2 : Number(args['max-photos']),
  concurrency: smoke ? [1, 2] : args.concurrency.split(',').map(Number),
  inference: (smoke ? { requests: 4 } : { seconds: Number(args.seconds) }) as Budget,
  list: (smoke ? { requests: 40 } : { seconds: Number(args['list-seconds']) }) as Budget,
  listUnderLoad: { seconds: smoke ? 3 : Number(args.seconds) },
  listReferences: Number(args['list-references']),
  storeSize: smoke ? 300 : Number(args['store-size']),
  leakCompares: Number(args['leak-compares']),
};

type Endpoint = 'upload' | 'compare' | 'list';
interface Cell extends LoadResult {
  endpoint: Endpoint;
  workers: string;
  concurrency: number;
  round: number;
}
interface FirstRequest {
  service: string;
  round: number;
  endpoint: Endpoint;
  ms: number;
}

const databaseUrl = process.env.DATABASE_URL || undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'facegate-bench-'));
const database = { DATABASE_URL: databaseUrl, DATA_DIR: dataDir };
const defaultWorkers = process.env.FACE_WORKERS || String(cpus().length);
const configurations = [
  { label: 'default', env: { DATA_DIR: dataDir } as Record<string, string> },
  { label: 'one worker', env: { DATA_DIR: dataDir, FACE_WORKERS: '1' } as Record<string, string> },
];

/** Compares under way before the list starts, and after it ends. */
const UNDER_LOAD_LEAD_SECONDS = 2;
/** Enough compare connections to keep every worker busy with one more waiting each. */
const compareConnections = Number(defaultWorkers) * 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const cells: Cell[] = [];
const firstRequests: FirstRequest[] = [];
const startMs: Record<string, number[]> = {};
const peakRss: Record<string, number[]> = {};
const listUnderLoad: { list: LoadResult; compare: LoadResult; round: number }[] = [];
const loadAverages: { at: string; uptime: string }[] = [];
let storeResult: StoreScale | undefined;
let backend = '';
let model = '';
let photos: Photo[] = [];
const keys = new Map<Photo, string>();

function uptime(at: string): void {
  let text: string;
  try {
    text = execSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    text = `load average: ${loadavg()
      .map((value) => value.toFixed(2))
      .join(', ')}`;
  }
  loadAverages.push({ at, uptime: text });
  console.log(`[${at}] ${text}`);
}

function log(message: string): void {
  console.log(`  ${message}`);
}

function readPhotos(folder: string): Photo[] {
  return readdirSync(folder)
    .filter((name) => photoPattern.test(name))
    .sort()
    .map((name) => ({ path: join(folder, name), bytes: readFileSync(join(folder, name)) }));
}

/**
 * Uploads photos one at a time until `maxPhotos` are enrolled; keeps those answering 200.
 * Returns the first upload's milliseconds.
 */
async function enrol(service: ServiceProcess, candidates: Photo[]): Promise<number> {
  let firstMs = Number.NaN;
  for (const photo of candidates) {
    if (keys.size >= settings.maxPhotos) break;
    const request = multipartRequest('/upload_reference', photo);
    const started = performance.now();
    const response = await send(service.url, request);
    const body = JSON.parse(response.body.toString()) as { key?: string; detail?: unknown };
    if (Number.isNaN(firstMs)) firstMs = performance.now() - started;
    if (response.status === 200 && body.key) keys.set(photo, body.key);
    else log(`not enrolled ${photo.path}: ${response.status} ${JSON.stringify(body.detail)}`);
  }
  photos = [...keys.keys()];
  if (photos.length === 0) throw new Error(`No photo in ${photoFolder} could be enrolled`);
  log(`enrolled ${photos.length} photo(s)`);
  return firstMs;
}

const compareRequests = () =>
  photos.map((photo) =>
    multipartRequest('/compare_with_reference', photo, { reference_key: keys.get(photo)! }),
  );
const uploadRequests = () => photos.map((photo) => multipartRequest('/upload_reference', photo));
const listRequests = () => [{ method: 'GET' as const, path: '/list_references' }];

async function timeOne(url: string, request: ReturnType<typeof compareRequests>[number]) {
  const started = performance.now();
  const response = await send(url, request);
  if (response.status !== 200) throw new Error(`first request answered ${response.status}`);
  return performance.now() - started;
}

async function measure(
  service: ServiceProcess,
  workers: string,
  round: number,
  endpoint: Endpoint,
  budget: Budget,
): Promise<void> {
  for (const concurrency of settings.concurrency) {
    const requests =
      endpoint === 'upload'
        ? uploadRequests()
        : endpoint === 'compare'
          ? compareRequests()
          : listRequests();
    const result = await drive(service.url, requests, concurrency, budget);
    cells.push({ ...result, endpoint, workers, concurrency, round });
    log(
      `${endpoint} c=${concurrency} (${workers} worker(s)): ${round1(result.rps)} req/s, ` +
        `p50 ${round1(result.p50)} ms, p99 ${round1(result.p99)} ms, ${result.requests} requests, ` +
        `errors ${result.errors}, non-2xx ${result.non2xx}; ${memory(service)}`,
    );
    if (result.non2xx > 0) explainFailures(service, result);
  }
}

/** The service's resident memory now and its peak so far: which phase raises the peak. */
function memory(service: ServiceProcess): string {
  return `RSS ${Math.round(service.rssMb())} MB, peak ${Math.round(service.peakRssMb())} MB`;
}

/** What answered other than 2xx, and the service's warnings and errors about it. */
function explainFailures(service: ServiceProcess, result: LoadResult): void {
  log(`  statuses: ${JSON.stringify(result.statuses)}`);
  const complaints = service.recentOutput
    .split('\n')
    .filter((line) => /warn|error/i.test(line))
    .slice(-5);
  for (const line of complaints) log(`  service: ${line.trim()}`);
}

const round1 = (value: number) => round(value, 1);

/** Services running now, stopped on Ctrl-C so no child outlives the bench. */
const running = new Set<ServiceProcess>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all([...running].map((service) => service.stop())).finally(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(130);
    });
  });
}

async function start(label: string, env: Record<string, string>) {
  const { service, ready, startMs: ms } = await ServiceProcess.start(label, env);
  running.add(service);
  backend = ready.backend;
  model = ready.model;
  (startMs[label] ??= []).push(ms);
  log(`${label}: ready in ${Math.round(ms)} ms, backend ${ready.backend}, pid ${service.pid}`);
  return service;
}

async function stop(service: ServiceProcess): Promise<void> {
  (peakRss[service.label] ??= []).push(service.peakRssMb());
  await service.stop();
  running.delete(service);
}

/** The first request a fresh service answers: a compare (an upload on the very first start). */
async function firstRequest(service: ServiceProcess, round: number): Promise<void> {
  const endpoint: Endpoint = photos.length > 0 ? 'compare' : 'upload';
  const ms =
    endpoint === 'compare'
      ? await timeOne(service.url, compareRequests()[0])
      : await enrol(service, readPhotos(photoFolder));
  firstRequests.push({ service: service.label, round, endpoint, ms });
  log(`first request after start (${endpoint}): ${Math.round(ms)} ms`);
}

async function runRound(round: number, store: () => Promise<StoreAccess>): Promise<void> {
  uptime(`round ${round} start`);
  const [main, single] = configurations;
  const service = await start(main.label, main.env);
  try {
    await firstRequest(service, round);
    const access = await store();
    // Uploads under load in earlier rounds are removed: every round lists the same store.
    await access.seedTo(settings.listReferences);
    log(`store holds ${await access.count()} references; ${memory(service)}`);
    await measure(service, defaultWorkers, round, 'list', settings.list);
    // The event loop under inference load: list alone on one connection while compares keep
    // every worker busy with a queue behind them (started first, stopped after the list).
    const [compare, list] = await Promise.all([
      drive(service.url, compareRequests(), compareConnections, {
        seconds: settings.listUnderLoad.seconds + UNDER_LOAD_LEAD_SECONDS * 2,
      }),
      sleep(UNDER_LOAD_LEAD_SECONDS * 1000).then(() =>
        drive(service.url, listRequests(), 1, settings.listUnderLoad),
      ),
    ]);
    listUnderLoad.push({ list, compare, round });
    log(
      `list under load (${compareConnections} compare connections): list p99 ` +
        `${round1(list.p99)} ms, max ${round1(list.max)} ms; compares ${round1(compare.rps)} req/s; ` +
        memory(service),
    );
    await measure(service, defaultWorkers, round, 'compare', settings.inference);
    await measure(service, defaultWorkers, round, 'upload', settings.inference);
    if (round === settings.rounds && settings.storeSize > 0) {
      storeResult = await storeScale(service, access);
    }
  } finally {
    await stop(service);
  }
  const one = await start(single.label, single.env);
  try {
    await firstRequest(one, round);
    await measure(one, '1', round, 'compare', settings.inference);
  } finally {
    await stop(one);
  }
  uptime(`round ${round} end`);
}

interface StoreScale {
  references: number;
  seedMs: number;
  list: LoadResult;
  listBytes: number;
  compare: LoadResult;
  plans: QueryPlan[];
}

/**
 * List and compare with a large store (seeded under the running service, which caches nothing),
 * and the plans of the store's own queries.
 */
async function storeScale(service: ServiceProcess, access: StoreAccess): Promise<StoreScale> {
  const started = performance.now();
  await access.seedTo(settings.storeSize);
  const seedMs = performance.now() - started;
  const references = await access.count();
  log(`seeded to ${references} references in ${Math.round(seedMs)} ms`);
  const listBytes = (await send(service.url, listRequests()[0])).body.length;
  const list = await drive(service.url, listRequests(), 1, settings.list);
  const compare = await drive(service.url, compareRequests(), 1, settings.inference);
  log(
    `list of ${references}: p50 ${round1(list.p50)} ms, p99 ${round1(list.p99)} ms ` +
      `(${listBytes} bytes); compare p50 ${round1(compare.p50)} ms; ${memory(service)}`,
  );
  const plans = await access.queryPlans(keys.get(photos[0])!);
  return { references, seedMs, list, listBytes, compare, plans };
}

/** RSS after the first `leakCompares / 10` compares and after all of them, at concurrency 4. */
async function leakTest() {
  const service = await start(configurations[0].label, configurations[0].env);
  try {
    const early = Math.round(settings.leakCompares / 10);
    const compares = compareRequests();
    const first = await drive(service.url, compares, 4, { requests: early });
    const rssAfterEarly = service.rssMb();
    log(`RSS after ${early} compares: ${Math.round(rssAfterEarly)} MB`);
    const rest = await drive(service.url, compares, 4, {
      requests: settings.leakCompares - early,
    });
    const rssAfterAll = service.rssMb();
    log(`RSS after ${settings.leakCompares} compares: ${Math.round(rssAfterAll)} MB`);
    for (const load of [first, rest]) if (load.non2xx > 0) explainFailures(service, load);
    return {
      compares: settings.leakCompares,
      early,
      rssAfterEarlyMb: rssAfterEarly,
      rssAfterAllMb: rssAfterAll,
      growth: rssAfterAll / rssAfterEarly - 1,
      peakRssMb: service.peakRssMb(),
      errors: first.errors + rest.errors,
      non2xx: first.non2xx + rest.non2xx,
    };
  } finally {
    await stop(service);
  }
}

function summarise(endpoint: Endpoint, workers: string, concurrency: number) {
  const runs = cells.filter(
    (cell) =>
      cell.endpoint === endpoint && cell.workers === workers && cell.concurrency === concurrency,
  );
  const pick = (field: 'rps' | 'p50' | 'p95' | 'p99') =>
    round1(median(runs.map((run) => run[field])));
  return {
    endpoint,
    workers: Number(workers),
    concurrency,
    rps: pick('rps'),
    p50: pick('p50'),
    p95: pick('p95'),
    p99: pick('p99'),
    requests: runs.reduce((sum, run) => sum + run.requests, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    rounds: runs.length,
  };
}

async function main(): Promise<void> {
  console.log(
    `facegate bench${smoke ? ' (smoke)' : ''}: ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}, ` +
      `node ${process.version}, database ${databaseUrl ? 'MySQL/MariaDB (DATABASE_URL)' : 'SQLite'}, ` +
      `FACE_BACKEND=${process.env.FACE_BACKEND ?? 'auto'}, default pool ${defaultWorkers} worker(s)`,
  );
  let access: StoreAccess | undefined;
  const store = async () => (access ??= await StoreAccess.open(database));
  let startedEmpty = true;
  const result: Record<string, unknown> = {};
  try {
    if (databaseUrl) {
      const probe = await store();
      if ((await probe.count()) > 0) {
        startedEmpty = false;
        throw new Error('DATABASE_URL names a database that holds references: use an empty one');
      }
    }
    if (args.leak) {
      uptime('leak start');
      const service = await start(configurations[0].label, configurations[0].env);
      try {
        await enrol(service, readPhotos(photoFolder));
      } finally {
        await stop(service);
      }
      result.leak = await leakTest();
      uptime('leak end');
    } else {
      for (let round = 1; round <= settings.rounds; round++) await runRound(round, store);
      result.store = storeResult;
      uptime('end');
    }
  } finally {
    if (access) {
      if (databaseUrl && startedEmpty) await access.clear();
      await access.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  report(result);
}

function report(extra: Record<string, unknown>): void {
  const rows = (['upload', 'compare', 'list'] as const).flatMap((endpoint) =>
    settings.concurrency.map((concurrency) => summarise(endpoint, defaultWorkers, concurrency)),
  );
  const oneWorker = settings.concurrency.map((concurrency) =>
    summarise('compare', '1', concurrency),
  );
  const top = Math.max(...settings.concurrency);
  const ratios = [...new Set(cells.map((cell) => cell.round))].map((round) => {
    const rps = (workers: string) =>
      cells.find(
        (cell) =>
          cell.round === round &&
          cell.endpoint === 'compare' &&
          cell.workers === workers &&
          cell.concurrency === top,
      )?.rps ?? Number.NaN;
    return rps(defaultWorkers) / rps('1');
  });
  const poolSpeedup = {
    concurrency: top,
    medianOfRounds: round(median(ratios), 2),
    rounds: ratios.map((ratio) => round(ratio, 2)),
  };
  const underLoad = listUnderLoad.length
    ? {
        references: settings.listReferences,
        compareConnections,
        listP50: round1(median(listUnderLoad.map(({ list }) => list.p50))),
        listP95: round1(median(listUnderLoad.map(({ list }) => list.p95))),
        listP99: round1(median(listUnderLoad.map(({ list }) => list.p99))),
        listMax: round1(Math.max(...listUnderLoad.map(({ list }) => list.max))),
        listRequests: listUnderLoad.reduce((sum, { list }) => sum + list.requests, 0),
        compareRps: round1(median(listUnderLoad.map(({ compare }) => compare.rps))),
        errors: listUnderLoad.reduce(
          (sum, { list, compare }) => sum + list.errors + compare.errors,
          0,
        ),
        non2xx: listUnderLoad.reduce(
          (sum, { list, compare }) => sum + list.non2xx + compare.non2xx,
          0,
        ),
      }
    : undefined;
  const compareP50 = (workers: string) =>
    median(
      cells
        .filter((c) => c.endpoint === 'compare' && c.workers === workers && c.concurrency === 1)
        .map((c) => c.p50),
    );
  const uploadP50 = median(
    cells
      .filter((c) => c.endpoint === 'upload' && c.workers === defaultWorkers && c.concurrency === 1)
      .map((c) => c.p50),
  );
  const first = firstRequests.map((entry) => {
    const reference =
      entry.endpoint === 'upload'
        ? uploadP50
        : compareP50(entry.service === 'default' ? defaultWorkers : '1');
    return {
      ...entry,
      ms: round1(entry.ms),
      medianMs: round1(reference),
      ratio: round(entry.ms / reference, 2),
    };
  });
  const memory = Object.fromEntries(
    Object.entries(peakRss).map(([label, values]) => [label, round1(Math.max(...values))]),
  );
  const store = extra.store as StoreScale | undefined;
  const leak = extra.leak as { errors: number; non2xx: number } | undefined;
  const totals = {
    errors:
      cells.reduce((sum, cell) => sum + cell.errors, 0) +
      (underLoad?.errors ?? 0) +
      (store ? store.list.errors + store.compare.errors : 0) +
      (leak?.errors ?? 0),
    non2xx:
      cells.reduce((sum, cell) => sum + cell.non2xx, 0) +
      (underLoad?.non2xx ?? 0) +
      (store ? store.list.non2xx + store.compare.non2xx : 0) +
      (leak?.non2xx ?? 0),
  };
  const output = {
    meta: {
      date: new Date().toISOString(),
      smoke,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      node: process.version,
      backend,
      model,
      database: databaseUrl ? 'mysql' : 'sqlite',
      defaultWorkers: Number(defaultWorkers),
      rounds: settings.rounds,
      photos: photos.map((photo) => photo.path),
      budget: { inference: settings.inference, list: settings.list },
      loadAverages,
    },
    cells: rows.filter((row) => row.rounds > 0),
    oneWorker: oneWorker.filter((row) => row.rounds > 0),
    poolSpeedup,
    listUnderLoad: underLoad,
    firstRequest: first,
    startMs: Object.fromEntries(
      Object.entries(startMs).map(([label, values]) => [label, round1(median(values))]),
    ),
    peakRssMb: memory,
    store: store && {
      references: store.references,
      seedMs: Math.round(store.seedMs),
      listBytes: store.listBytes,
      list: store.list,
      compare: store.compare,
      plans: store.plans,
    },
    leak: extra.leak,
    totals,
  };

  console.log(
    `\nfacegate bench: ${output.meta.cpus} CPU(s), backend ${backend}, ${output.meta.database}, ` +
      (args.leak
        ? 'leak test'
        : `medians of ${settings.rounds} round(s); ${describe(settings.inference)} per inference ` +
          `cell, ${describe(settings.list)} per list cell`),
  );
  if (output.cells.length) {
    console.log(
      table(
        [...output.cells, ...output.oneWorker].map((row) => ({
          endpoint: row.endpoint,
          workers: row.workers,
          c: row.concurrency,
          'req/s': row.rps,
          'p50 ms': row.p50,
          'p95 ms': row.p95,
          'p99 ms': row.p99,
          requests: row.requests,
          errors: row.errors,
          'non-2xx': row.non2xx,
        })),
      ),
    );
    console.log(
      `\npool speed-up, compare at c=${top}: ${poolSpeedup.medianOfRounds}x ` +
        `(${defaultWorkers} workers vs 1; per round ${poolSpeedup.rounds.join(', ')})`,
    );
  }
  if (underLoad) {
    console.log(
      `list under load (${underLoad.references} references, ${underLoad.compareConnections} compare ` +
        `connections): p50 ${underLoad.listP50} ms, p95 ${underLoad.listP95} ms, p99 ` +
        `${underLoad.listP99} ms, max ${underLoad.listMax} ms; compares ${underLoad.compareRps} req/s`,
    );
  }
  for (const entry of first) {
    console.log(
      `first request after start (${entry.service}, round ${entry.round}, ${entry.endpoint}): ` +
        `${entry.ms} ms = ${entry.ratio}x the c=1 median of ${entry.medianMs} ms`,
    );
  }
  if (Object.keys(output.startMs).length) {
    console.log(
      `start to ready (warm-up included): ${Object.entries(output.startMs)
        .map(([label, ms]) => `${label} ${ms} ms`)
        .join(', ')}`,
    );
  }
  console.log(
    `peak RSS: ${Object.entries(memory)
      .map(([label, mb]) => `${label} ${mb} MB`)
      .join(', ')}`,
  );
  if (store) {
    console.log(
      `store of ${store.references} references (seeded in ${Math.round(store.seedMs)} ms): list ` +
        `p50 ${round1(store.list.p50)} ms, p99 ${round1(store.list.p99)} ms, ` +
        `${store.listBytes} bytes; compare p50 ${round1(store.compare.p50)} ms`,
    );
    for (const plan of store.plans) {
      console.log(`  ${plan.call}: ${plan.sql}\n    plan: ${JSON.stringify(plan.plan)}`);
    }
  }
  if (output.leak) console.log(`leak test: ${JSON.stringify(output.leak)}`);
  console.log(`totals: ${totals.errors} errors, ${totals.non2xx} non-2xx`);
  if (args.json) writeFileSync(resolve(args.json), `${JSON.stringify(output, null, 2)}\n`);
}

function describe(budget: Budget): string {
  return 'seconds' in budget ? `${budget.seconds} s` : `${budget.requests} requests`;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
