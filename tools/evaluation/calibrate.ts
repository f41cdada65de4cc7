// `npm run calibrate`: embeds every photo of the labelled sets through the real FaceEngine (worker
// pool, detection cascade, the same code as the service), scores the labelled pairs as the API
// would (the first photo enrolled, every face of the second compared, the closest decides), and
// prints accuracy and false accept/reject rates per set for a range of thresholds, the chosen
// threshold, and a chart of the distance distributions.
import 'reflect-metadata';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createServiceContext } from '../../src/cli/context.js';
import { AppConfig } from '../../src/config/app-config.js';
import { cosineDistance } from '../../src/face-engine/cosine-distance.js';
import { FaceEngineModule } from '../../src/face-engine/face-engine.module.js';
import { FaceEngine } from '../../src/face-engine/face-engine.service.js';
import { distanceChart } from './distance-chart.js';
import { deepFaceMaster, identityFolders, type LabelledSet } from './labelled-sets.js';
import { chooseThreshold, evaluate, type ScoredPair, type ThresholdRow } from './verdicts.js';

interface ImageResult {
  faces: number[][];
  ms: number;
}

const { values: args } = parseArgs({
  options: {
    faces: { type: 'string', default: '../shared/faces' },
    out: { type: 'string', default: 'docs/calibration' },
    cache: { type: 'string' },
    'max-far': { type: 'string', default: '0.0025' },
  },
});

const facesDir = resolve(args.faces);
const outDir = resolve(args.out);
const maxFalseAcceptRate = Number(args['max-far']);
mkdirSync(outDir, { recursive: true });

const sets: LabelledSet[] = [
  deepFaceMaster('deepface', join(facesDir, 'deepface')),
  identityFolders('people', join(facesDir, 'people')),
  identityFolders('orl', join(facesDir, 'orl')),
];

const context = await createServiceContext([FaceEngineModule], {
  env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
});
const engine = context.get(FaceEngine);
const { env } = context.get(AppConfig);
const cacheFile = args.cache ? resolve(args.cache) : undefined;
const cached =
  cacheFile && existsSync(cacheFile)
    ? (JSON.parse(readFileSync(cacheFile, 'utf8')) as {
        model: string;
        images: Record<string, ImageResult>;
      })
    : undefined;
// Embeddings of another model, pipeline or detector size are not reused.
const cacheKey = `${engine.model} detector ${env.FACE_DETECTOR_SIZE}`;
const cache: Record<string, ImageResult> = cached?.model === cacheKey ? cached.images : {};

const images = [...new Set(sets.flatMap((set) => set.images))].filter((path) => !cache[path]);
let done = 0;
async function embedNext(): Promise<void> {
  for (let path = images.pop(); path; path = images.pop()) {
    const started = performance.now();
    const { faces } = await engine.analyze(readFileSync(path));
    cache[path] = {
      faces: faces.map((face) => Array.from(face.embedding)),
      ms: performance.now() - started,
    };
    if (++done % 50 === 0) process.stderr.write(`  ${done} photos embedded\n`);
  }
}
await Promise.all(Array.from({ length: engine.workers }, () => embedNext()));
const { model, backend } = engine;
await context.close();
if (cacheFile) {
  mkdirSync(dirname(cacheFile), { recursive: true });
  writeFileSync(cacheFile, JSON.stringify({ model: cacheKey, images: cache }));
}

/** The API's verdict path: an unenrollable reference or a faceless probe is an error either way. */
function score(set: LabelledSet): { pairs: ScoredPair[]; unusable: number } {
  const pairs: ScoredPair[] = [];
  let unusable = 0;
  for (const pair of set.pairs) {
    const reference = cache[pair.reference].faces;
    const probe = cache[pair.probe].faces;
    if (reference.length !== 1 || probe.length === 0) {
      unusable++;
      // What the API does: it refuses the photo, so the pair is never called the same person.
      pairs.push({ distance: Number.POSITIVE_INFINITY, same: pair.same });
      continue;
    }
    const distance = Math.min(...probe.map((face) => cosineDistance(reference[0], face)));
    pairs.push({ distance, same: pair.same });
  }
  return { pairs, unusable };
}

const scored = sets.map((set) => ({ set, ...score(set) }));
const all = scored.flatMap((entry) => entry.pairs);
const candidates = Array.from({ length: 41 }, (_, index) =>
  Number((0.03 + index * 0.002).toFixed(3)),
);
const threshold = chooseThreshold(
  scored.map((entry) => entry.pairs),
  candidates,
  maxFalseAcceptRate,
);
if (threshold === undefined)
  throw new Error(`No threshold keeps every set's FAR <= ${maxFalseAcceptRate}`);

const percent = (value: number) => `${(value * 100).toFixed(2)}%`;
const cell = (row: ThresholdRow) =>
  `${percent(row.accuracy).padStart(7)} ${String(row.falseAccepts).padStart(5)} ${String(row.falseRejects).padStart(4)} (${percent(row.falseAcceptRate)} / ${percent(row.falseRejectRate)})`;

console.log(`model ${model}, backend ${backend}`);
for (const entry of scored) {
  const faces = entry.set.images.map((path) => cache[path].faces.length);
  console.log(
    `${entry.set.name}: ${entry.set.images.length} photos (no face ${faces.filter((n) => n === 0).length}, ` +
      `several ${faces.filter((n) => n > 1).length}), ${entry.pairs.length} pairs ` +
      `(${entry.pairs.filter((pair) => pair.same).length} same), unusable pairs ${entry.unusable}`,
  );
}
console.log(
  `\nthreshold | ${[...scored.map((entry) => entry.set.name), 'all'].map((name) => `${name}: acc FA FR (FAR / FRR)`.padEnd(38)).join(' | ')}`,
);
for (const candidate of candidates) {
  const rows = [
    ...scored.map((entry) => evaluate(entry.pairs, candidate)),
    evaluate(all, candidate),
  ];
  const mark = candidate === threshold ? ' <= chosen' : '';
  console.log(
    `${candidate.toFixed(3).padEnd(9)} | ${rows.map((row) => cell(row).padEnd(38)).join(' | ')}${mark}`,
  );
}
console.log(
  `\nchosen threshold: ${threshold} (the largest keeping every set's false accept rate <= ${percent(maxFalseAcceptRate)})`,
);

const summary = {
  model,
  backend,
  threshold,
  maxFalseAcceptRate,
  sets: Object.fromEntries(
    scored.map((entry) => [
      entry.set.name,
      { unusablePairs: entry.unusable, ...evaluate(entry.pairs, threshold) },
    ]),
  ),
  all: evaluate(all, threshold),
  medianMsPerPhoto: (() => {
    const times = Object.values(cache)
      .map((result) => result.ms)
      .sort((a, b) => a - b);
    return Math.round(times[Math.floor(times.length / 2)]);
  })(),
};
writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
writeFileSync(
  join(outDir, 'distances.svg'),
  distanceChart(
    [
      ...scored.map((entry) => ({
        title: entry.set.name,
        pairs: entry.pairs.filter((pair) => Number.isFinite(pair.distance)),
      })),
      { title: 'all sets', pairs: all.filter((pair) => Number.isFinite(pair.distance)) },
    ],
    threshold,
  ),
);
console.log(`wrote ${relative(process.cwd(), join(outDir, 'summary.json'))} and distances.svg`);
