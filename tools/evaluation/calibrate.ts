// `npm run calibrate`: analyses every photo of the labelled sets through the real face engine (the
// service's container, worker pool and pipeline), scores the labelled pairs as the API would (the
// first photo enrolled by the multi-face policy, the face the second is about compared, or where
// none clearly is its largest faces, the closest deciding; a refused photo a wrong answer), and
// reports each set, beside the old rule (probe_faces=all: the second's largest faces, closest
// decides). lfw-dev, real-world news
// photos, is reported as LFW results are and sets the operating points: the false accept rate
// table shipped with the model, the thresholds of the security levels, and the default threshold
// (the one of `medium`). A generated set of images without a face must be refused entirely. The
// open-set run (open-set.ts) measures identification (1:N) on lfw-dev, and checks the thresholds
// derived from the shipped table for a target FPIR and gallery size.
import 'reflect-metadata';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createServiceContext } from '../../src/cli/context.js';
import { AppConfig } from '../../src/config/app-config.js';
import { cosineDistance } from '../../src/face-engine/cosine-distance.js';
import { FaceEngineModule } from '../../src/face-engine/face-engine.module.js';
import { EngineStatus } from '../../src/face-engine/engine-status.js';
import { FaceAnalyser } from '../../src/face-engine/face-analyser.js';
import type { FaceBox, FaceQuality } from '../../src/face-engine/face-engine.types.js';
import { SECURITY_LEVELS } from '../../src/common/operating-point.js';
import { calibrationFile, type CalibrationTable } from '../../src/face-engine/calibration.js';
import { selectFaces, subjectFace } from '../../src/face-engine/face-selection-rule.js';
import type { ProbeFaces } from '../../src/references/verdict.js';
import { modelCacheFile, readCalibration, writeCalibration } from './calibration-file.js';
import { distanceChart } from './distance-chart.js';
import {
  deepFaceMaster,
  identityFolders,
  identityPhotos,
  lfwPairs,
  REAL_WORLD_SECOND_SPELLINGS,
  type LabelledSet,
} from './labelled-sets.js';
import { nonFaceImages } from '../../test/support/non-face-images.js';
import { openSetProtocol, openSetRun, openSetTables } from './open-set.js';
import { DEFAULT_PERSON_RULE } from '../../src/face-engine/person-rule.js';
import {
  acceptRateAtFar,
  countAtOrBelow,
  evaluate,
  foldAccuracy,
  thresholdForFar,
  type ScoredPair,
  type ThresholdRow,
} from './verdicts.js';

interface CachedFace {
  box: FaceBox;
  score: number;
  quality: FaceQuality;
  embedding: number[];
}

interface CachedPhoto {
  width: number;
  height: number;
  faces: CachedFace[];
  ms: number;
}

const { values: args } = parseArgs({
  options: {
    faces: { type: 'string', default: '../shared/faces' },
    /** Where the summary goes; FACE_MODEL's name is added for a model other than dlib. */
    out: { type: 'string', default: 'docs/calibration' },
    cache: { type: 'string' },
    /** The previous default, reported beside the new one. */
    compare: { type: 'string', default: '0.071' },
    'write-table': { type: 'boolean', default: false },
  },
});

const facesDir = resolve(args.faces);

/** The real-world set: it sets the operating points. */
const REAL_WORLD = 'lfw-dev';
const sets: LabelledSet[] = [
  lfwPairs(REAL_WORLD, join(facesDir, REAL_WORLD)),
  deepFaceMaster('deepface', join(facesDir, 'deepface')),
  identityFolders('people', join(facesDir, 'people')),
  identityFolders('orl', join(facesDir, 'orl')),
];
/** Every photo of the real-world set by person, for the open-set run. */
const realWorldPeople = identityPhotos(join(facesDir, REAL_WORLD));

const context = await createServiceContext([FaceEngineModule], {
  env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
});
const engine = context.get(FaceAnalyser);
const { env } = context.get(AppConfig);
const outDir = resolve(env.FACE_MODEL === 'dlib' ? args.out : join(args.out, env.FACE_MODEL));
mkdirSync(outDir, { recursive: true });
const cacheFile = args.cache ? resolve(modelCacheFile(args.cache, env.FACE_MODEL)) : undefined;
// Analyses of another model, pipeline or detector size are not reused.
const cacheKey = `${engine.model} detector ${env.FACE_DETECTOR_SIZE} v2`;
const cached =
  cacheFile && existsSync(cacheFile)
    ? (JSON.parse(readFileSync(cacheFile, 'utf8')) as {
        model: string;
        images: Record<string, CachedPhoto>;
      })
    : undefined;
const cache: Record<string, CachedPhoto> = cached?.model === cacheKey ? cached.images : {};
const key = (path: string) => relative(facesDir, path);

/** Every face found, embedded, so that each verdict path can be replayed from the cache. */
async function analyse(bytes: Buffer): Promise<CachedPhoto> {
  const started = performance.now();
  const { width, height, faces } = await engine.analyze(bytes, { kind: 'largest', max: 1000 });
  return {
    width,
    height,
    faces: faces.map(({ box, score, quality, embedding }) => ({
      box,
      score,
      quality,
      embedding: Array.from(embedding),
    })),
    ms: performance.now() - started,
  };
}

const pending = [
  ...new Set([
    ...sets.flatMap((set) => set.images),
    ...realWorldPeople.flatMap((person) => person.photos),
  ]),
].filter((path) => !cache[key(path)]);
let done = 0;
await Promise.all(
  Array.from({ length: engine.workers }, async () => {
    for (let path = pending.pop(); path; path = pending.pop()) {
      cache[key(path)] = await analyse(readFileSync(path));
      if (++done % 100 === 0) process.stderr.write(`  ${done} photos analysed\n`);
    }
  }),
);
const nonFaces = await nonFaceImages();
const nonFaceFound = [];
for (const [name, bytes] of nonFaces) {
  const { faces } = await analyse(bytes);
  if (faces.length > 0) nonFaceFound.push(`${name} (${faces.length})`);
}
const { model } = engine;
const { backend } = context.get(EngineStatus);
await context.close();
if (cacheFile) {
  mkdirSync(dirname(cacheFile), { recursive: true });
  writeFileSync(cacheFile, JSON.stringify({ model: cacheKey, images: cache }));
}

const policy = env.MULTI_FACE_POLICY;
const maxFaces = env.MAX_FACES_PER_IMAGE;

/** The face an upload of `path` enrols, if any. */
function enrolled(path: string): CachedFace | undefined {
  const photo = cache[key(path)];
  return subjectFace(photo.faces, photo, policy);
}

/**
 * The API's verdict path: the enrolled face against the probe's faces that `probeFaces` compares
 * (`subject`, the default: the face the probe is about, else its largest; `all`: its largest).
 */
function score(set: LabelledSet, probeFaces: ProbeFaces = 'subject'): ScoredPair[] {
  return set.pairs.map((pair) => {
    const reference = enrolled(pair.reference);
    const probe = cache[key(pair.probe)];
    const compared = selectFaces(
      probe.faces,
      probe,
      probeFaces === 'all'
        ? { kind: 'largest', max: maxFaces }
        : { kind: 'subjectOrLargest', max: maxFaces },
    );
    if (!reference || compared.length === 0) {
      return {
        distance: Number.POSITIVE_INFINITY,
        same: pair.same,
        refused: true,
        fold: pair.fold,
      };
    }
    const distance = Math.min(
      ...compared.map((face) => cosineDistance(reference.embedding, face.embedding)),
    );
    return { distance, same: pair.same, refused: false, fold: pair.fold };
  });
}

/**
 * Every pair of enrolled faces of different people in `set`: far more different-person pairs than
 * the protocol's, so that rates down to 1e-5 can be read off.
 */
function impostorDistances(set: LabelledSet): Float64Array {
  const people = [...(set.identities ?? new Map<string, string>())].flatMap(([path, named]) => {
    const face = enrolled(path);
    const person = REAL_WORLD_SECOND_SPELLINGS.get(named) ?? named;
    return face ? [{ person, embedding: face.embedding }] : [];
  });
  const distances: number[] = [];
  for (let i = 0; i < people.length; i++) {
    for (let j = i + 1; j < people.length; j++) {
      if (people[i].person === people[j].person) continue;
      distances.push(cosineDistance(people[i].embedding, people[j].embedding));
    }
  }
  return Float64Array.from(distances).sort();
}

const scored = sets.map((set) => ({ set, pairs: score(set) }));
const realWorld = scored[0];
const impostors = impostorDistances(realWorld.set);
const levels = Object.fromEntries(
  Object.entries(SECURITY_LEVELS).map(([level, rate]) => [
    level,
    Number(thresholdForFar(impostors, rate).toFixed(4)),
  ]),
) as CalibrationTable['thresholds'];
/**
 * The rule for the default, FACE_MATCH_THRESHOLD: the largest threshold, to 3 decimals, at which
 * at most this share of the real-world set's different-person pairs match.
 */
const DEFAULT_FAR = 0.003;
const ruleThreshold = Math.floor(thresholdForFar(impostors, DEFAULT_FAR) * 1000 + 1e-9) / 1000;
/** The committed default, which the rule above should give. */
const threshold = env.FACE_MATCH_THRESHOLD;
const previous = Number(args.compare);

const percent = (value: number, digits = 2) => `${(value * 100).toFixed(digits)}%`;
const row = (name: string, r: ThresholdRow) =>
  `  ${name.padEnd(10)} accuracy ${percent(r.accuracy).padStart(7)}  FAR ${percent(r.falseAcceptRate, 3).padStart(7)} (${r.falseAccepts})  FRR ${percent(r.falseRejectRate).padStart(6)} (${r.falseRejects})  refused pairs ${r.refused}`;

console.log(`model ${model}, backend ${backend}, multi-face policy ${policy}`);
for (const { set } of scored) {
  const photos = set.images.map((path) => cache[key(path)]);
  const refusedPhotos = set.images.filter((path) => !enrolled(path)).length;
  console.log(
    `${set.name}: ${set.images.length} photos (no face ${photos.filter((p) => p.faces.length === 0).length}, ` +
      `several ${photos.filter((p) => p.faces.length > 1).length}, refused as a reference ${refusedPhotos}), ` +
      `${set.pairs.length} pairs (${set.pairs.filter((pair) => pair.same).length} same)`,
  );
}
const folds = foldAccuracy(realWorld.pairs);
console.log(
  `\n${REAL_WORLD}, as LFW reports it: ${percent(folds.mean)} ± ${percent(folds.sd)} over ${folds.folds.length} folds ` +
    `(thresholds ${folds.folds.map((f) => f.threshold.toFixed(4)).join(', ')})`,
);
const tar = [0.001, 0.01].map((rate) => ({ rate, ...acceptRateAtFar(realWorld.pairs, rate) }));
for (const { rate, threshold: at, acceptRate } of tar) {
  console.log(
    `  TAR at FAR ${percent(rate, 1)}: ${percent(acceptRate)} (threshold ${at.toFixed(4)})`,
  );
}
console.log(
  `  security levels from ${impostors.length} different-person pairs of enrolled faces: ` +
    Object.entries(levels)
      .map(
        ([level, value]) =>
          `${level} ${value} (FAR ${percent(SECURITY_LEVELS[level as keyof typeof SECURITY_LEVELS], 2)})`,
      )
      .join(', '),
);
if (threshold !== ruleThreshold) {
  console.log(
    `\nFACE_MATCH_THRESHOLD is ${threshold}, but the rule (FAR <= ${percent(DEFAULT_FAR, 1)} on ${REAL_WORLD}) gives ${ruleThreshold}`,
  );
}
for (const [label, at] of [
  [
    `default ${threshold} (the rule: FAR <= ${percent(DEFAULT_FAR, 1)} on ${REAL_WORLD})`,
    threshold,
  ],
  [`previous default ${previous}`, previous],
] as const) {
  console.log(`\nat the ${label}:`);
  for (const entry of scored) console.log(row(entry.set.name, evaluate(entry.pairs, at)));
}
/**
 * The probe rules side by side at the default: what judging the face the probe is about (the
 * default) changes against the closest of its largest faces (probe_faces=all), pair by pair.
 */
const probeRules = scored.map(({ set, pairs }) => {
  const all = score(set, 'all');
  const accepted = (pair: ScoredPair) => !pair.refused && pair.distance <= threshold;
  const count = (test: (subject: ScoredPair, closest: ScoredPair) => boolean) =>
    pairs.filter((pair, index) => test(pair, all[index])).length;
  const rule = (rows: ScoredPair[]) => ({
    ...evaluate(rows, threshold),
    ...(set.name === REAL_WORLD ? { foldAccuracy: foldAccuracy(rows).mean } : {}),
  });
  return {
    set: set.name,
    subject: rule(pairs),
    all: rule(all),
    pairsJudgedDifferently: count((a, b) => a.distance !== b.distance),
    genuineLost: count((a, b) => a.same && accepted(b) && !accepted(a)),
    genuineGained: count((a, b) => a.same && accepted(a) && !accepted(b)),
    impostorsNoLongerAccepted: count((a, b) => !a.same && accepted(b) && !accepted(a)),
    impostorsNewlyAccepted: count((a, b) => !a.same && accepted(a) && !accepted(b)),
  };
});
console.log(
  `\nprobe faces at the default ${threshold}: subject (the default) against all (closest of the largest):`,
);
for (const entry of probeRules) {
  const folds = (rule: { foldAccuracy?: number }) =>
    rule.foldAccuracy === undefined ? '' : `, folds ${percent(rule.foldAccuracy)}`;
  console.log(
    `  ${entry.set.padEnd(10)} accuracy ${percent(entry.subject.accuracy)}${folds(entry.subject)} ` +
      `(all: ${percent(entry.all.accuracy)}${folds(entry.all)}); impostors accepted ` +
      `${entry.subject.falseAccepts} (all: ${entry.all.falseAccepts}); pairs judged on another ` +
      `face ${entry.pairsJudgedDifferently}: genuine lost ${entry.genuineLost}, gained ` +
      `${entry.genuineGained}, impostors no longer accepted ${entry.impostorsNoLongerAccepted}, ` +
      `newly accepted ${entry.impostorsNewlyAccepted}`,
  );
}
/**
 * The real-world set's operating curve: at each threshold from the `high` level to those its folds
 * choose, the protocol pairs' verdicts beside the rate over all impostor pairs.
 */
const ROC_THRESHOLDS = [
  ...new Set([
    ...Object.values(levels),
    ...[0.82, 0.9, 0.95, 0.99, 1, 1.01, 1.04, 1.08, 1.14].map(
      (factor) => Math.round(threshold * factor * 1e4) / 1e4,
    ),
  ]),
].sort((a, b) => a - b);
const roc = ROC_THRESHOLDS.map((at) => ({
  ...evaluate(realWorld.pairs, at),
  allPairsFar: countAtOrBelow(impostors, at) / impostors.length,
}));
console.log(`
${REAL_WORLD} protocol pairs by threshold, and FAR over all impostor pairs:`);
for (const point of roc) {
  console.log(
    `${row(String(point.threshold), point)}  all-pairs FAR ${percent(point.allPairsFar, 3)}`,
  );
}
console.log(
  `\nimages without a face: ${nonFaces.length - nonFaceFound.length} of ${nonFaces.length} refused` +
    (nonFaceFound.length > 0 ? `; a face found in ${nonFaceFound.join(', ')}` : ''),
);

/**
 * FAR at each distance in 501 steps, well beyond the low level's threshold, for the response: of
 * 0.001 where that reaches the distance at which a tenth of the impostor pairs match (dlib's
 * 0.12), else of the smallest round step that does.
 */
function farTable(): [number, number][] {
  const tenth = thresholdForFar(impostors, 0.1);
  const step = [0.001, 0.002, 0.004, 0.005, 0.01].find((size) => size * 500 >= tenth) ?? 0.01;
  return Array.from({ length: 501 }, (_, index) => {
    const distance = Number((index * step).toFixed(3));
    const accepted = countAtOrBelow(impostors, distance);
    // Never 0: with N pairs measured, a rate under 1/N cannot be told from it.
    return [distance, Number((Math.max(accepted, 1) / impostors.length).toPrecision(4))];
  });
}

const summary = {
  model,
  backend,
  multiFacePolicy: policy,
  probeFaces: 'subject',
  threshold,
  rule: { far: DEFAULT_FAR, threshold: ruleThreshold },
  levels,
  realWorld: {
    set: REAL_WORLD,
    foldAccuracy: { mean: folds.mean, sd: folds.sd, folds: folds.folds },
    acceptRateAtFar: tar,
    impostorPairs: impostors.length,
    roc,
  },
  sets: Object.fromEntries(
    scored.map((entry) => [
      entry.set.name,
      { atDefault: evaluate(entry.pairs, threshold), atPrevious: evaluate(entry.pairs, previous) },
    ]),
  ),
  probeRules,
  nonFaceImages: { total: nonFaces.length, faceFound: nonFaceFound },
};
writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
writeFileSync(
  join(outDir, 'distances.svg'),
  distanceChart(
    scored.map((entry) => ({
      title: entry.set.name,
      pairs: entry.pairs.filter((pair) => !pair.refused),
    })),
    threshold,
  ),
);
console.log(`\nwrote ${relative(process.cwd(), join(outDir, 'summary.json'))} and distances.svg`);

// Identification (1:N) on the real-world set, as NIST FRVT measures it (open-set.ts): galleries of
// 100, 1,000 and all people, the smaller ones averaged over seeded subsamples. Probes are taken
// with the enrolment rule, since each LFW photo is about one centred person. The thresholds
// derived for a target FPIR read the shipped table, not one --write-table may be writing.

const REAL_WORLD_ALIASES = new Set(REAL_WORLD_SECOND_SPELLINGS.keys());
const shippedTable = readCalibration(env.FACE_MODEL);
// A model's first run has no table yet: its FPIR-derived thresholds are read off its own.
const shipped: CalibrationTable = shippedTable ?? {
  model,
  measuredOn: 'this run',
  impostorPairs: impostors.length,
  thresholds: levels,
  far: farTable(),
};
const protocol = openSetProtocol(
  realWorldPeople,
  (path) => enrolled(path) !== undefined,
  3,
  REAL_WORLD_ALIASES,
);
const openSetOptions = {
  sizes: [100, 1000, Number.POSITIVE_INFINITY],
  subsamples: 10,
  photosPerPerson: [1, 3],
  targets: [0.1, 0.01, 0.001],
  threshold,
  far: shipped.far,
};
const embeddingOf = (path: string) => enrolled(path)?.embedding;
// Photos ranked one by one (/identify), then people by the person-level rule (group_by=subject).
const openSet = [
  ...openSetRun(protocol, embeddingOf, openSetOptions),
  ...openSetRun(protocol, embeddingOf, {
    ...openSetOptions,
    photosPerPerson: [3],
    rule: shipped.person?.rule ?? DEFAULT_PERSON_RULE,
  }),
];
const matedProbes = protocol.gallery.flatMap(({ probe }) => (probe === undefined ? [] : [probe]));
const refusedProbes = {
  mated: matedProbes.filter((path) => !enrolled(path)).length,
  nonMated: protocol.nonMated.filter((path) => !enrolled(path)).length,
};
console.log(
  `\n${REAL_WORLD} identification (1:N): ${protocol.gallery.length} people in the gallery ` +
    `(${matedProbes.length} searched for, ${protocol.gallery.length - matedProbes.length} distractors), ` +
    `${protocol.nonMated.length} strangers searched; refused: ${refusedProbes.mated} mated and ` +
    `${refusedProbes.nonMated} non-mated probes, ${protocol.refusedDistractors.length} distractors, ` +
    `${protocol.unenrolled.length} people with no photo enrolled, ${protocol.laterPhoto.length} ` +
    `enrolled with a later photo, ${protocol.aliases.length} left out as aliases` +
    (shipped.model === model ? '' : `; the shipped table is for ${shipped.model}, not ${model}`),
);
console.log(`\n${openSetTables(openSet, threshold)}`);
writeFileSync(
  join(outDir, 'open-set.json'),
  `${JSON.stringify(
    {
      model,
      backend,
      set: REAL_WORLD,
      threshold,
      farTable: { model: shipped.model, measuredOn: shipped.measuredOn },
      protocol: {
        galleryPeople: protocol.gallery.length,
        matedPeople: matedProbes.length,
        distractors: protocol.gallery.length - matedProbes.length,
        nonMatedSearches: protocol.nonMated.length,
        refusedProbes,
        refusedDistractors: protocol.refusedDistractors,
        unenrolled: protocol.unenrolled,
        laterPhoto: protocol.laterPhoto,
        aliases: protocol.aliases,
      },
      galleries: openSet,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwrote ${relative(process.cwd(), join(outDir, 'open-set.json'))}`);
if (args['write-table']) {
  const table: CalibrationTable = {
    model,
    measuredOn:
      `${REAL_WORLD}: ${impostors.length} pairs of enrolled faces of different people ` +
      `(LFW View 2 folds 1-5), multi-face policy ${policy}`,
    impostorPairs: impostors.length,
    thresholds: levels,
    far: farTable(),
  };
  // The person-level and search tables (npm run person-level, open-set-rules) are kept: they
  // are measured apart.
  const { person, search } = shippedTable ?? {};
  writeCalibration(
    { ...table, ...(person && { person }), ...(search && { search }) },
    env.FACE_MODEL,
  );
  console.log(`wrote ${relative(process.cwd(), calibrationFile(env.FACE_MODEL))}`);
}
