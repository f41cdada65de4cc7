// `npm run open-set-rules`: which rule should search a gallery of people with several photos each
// (issue 21, item 3), measured on lfw-dev from the analyses `npm run calibrate` caches, with the
// open-set protocol of `npm run calibrate` (open-set.ts): a gallery of every person with up to 3
// photos (or one), mated and non-mated searches, TPIR at FPIR 10%, 1% and 0.1% in galleries of
// 100, 1,000 and all people. Each rule scores every person of the gallery for a face (lower is
// closer); the person with the lowest score is the answer, and it counts when within the threshold
// read off the strangers' lowest scores. Then the cohort rule's calibration: the FPIR of its score
// per gallery size, measured on searches by every enrolled photo of lfw-dev among the other
// people, and what the thresholds it derives achieve. `--write-search-table` writes that
// calibration into models/calibration.json (`search`), which `/identify?group_by=subject` reads.
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createServiceContext } from '../../src/cli/context.js';
import { AppConfig } from '../../src/config/app-config.js';
import {
  calibrationFile,
  cohortScoreThreshold,
  type SearchCalibration,
  type SearchTable,
} from '../../src/face-engine/calibration.js';
import { cohortMean, cohortScore, type CohortRule } from '../../src/face-engine/cohort-rule.js';
import { centroid } from '../../src/face-engine/person-rule.js';
import { table } from '../bench/table.js';
import { enrolledUnits, readCachedAnalyses } from './cached-analyses.js';
import { readCalibration, writeCalibration } from './calibration-file.js';
import { identityPhotos, REAL_WORLD_SECOND_SPELLINGS } from './labelled-sets.js';
import {
  atThreshold,
  meanOf,
  openSetProtocol,
  searchFigures,
  seededShuffle,
  type MatedOutcome,
} from './open-set.js';
import { countAtOrBelow } from './verdicts.js';

const { values: args } = parseArgs({
  options: {
    faces: { type: 'string', default: '../shared/faces' },
    cache: { type: 'string', default: 'data/calibration-cache.json' },
    out: { type: 'string', default: 'docs/calibration' },
    'write-search-table': { type: 'boolean', default: false },
  },
});

const SET = 'lfw-dev';
/** The rule the service ships: the face's 5 nearest people, half their mean taken off. */
const SHIPPED: CohortRule = { cohort: 5, weight: 0.5 };
const TARGETS = [0.1, 0.01, 0.001];
const SIZES = [100, 1000, Number.POSITIVE_INFINITY];
const SUBSAMPLES = 10;
/** The gallery sizes the search table is measured at (and every other person: the largest). */
const TABLE_SIZES = [1, 3, 10, 30, 100, 300, 1000];
/** The search table's scores: -0.05 to 0.25 in steps of 0.001. */
const TABLE_SCORES = Array.from({ length: 301 }, (_, step) =>
  Number((step / 1000 - 0.05).toFixed(3)),
);

const context = await createServiceContext([], {
  env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
});
const { env } = context.get(AppConfig);
await context.close();
const shipped = readCalibration(env.FACE_MODEL);
if (!shipped) {
  throw new Error(
    `No ${calibrationFile(env.FACE_MODEL)}: npm run calibrate -- --write-table first`,
  );
}
const facesDir = resolve(args.faces);
const enrolledUnit = enrolledUnits(
  readCachedAnalyses(args.cache, env.FACE_MODEL, shipped),
  facesDir,
  env.MULTI_FACE_POLICY,
);
const units = new Map<string, Float64Array | undefined>();
const embedding = (path: string) => {
  if (!units.has(path)) units.set(path, enrolledUnit(path));
  return units.get(path);
};
const photosOf = identityPhotos(join(facesDir, SET));
const protocol = openSetProtocol(
  photosOf,
  (path) => embedding(path) !== undefined,
  3,
  new Set(REAL_WORLD_SECOND_SPELLINGS.keys()),
);

const dot = (a: Float64Array, b: Float64Array) => {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += a[index] * b[index];
  return sum;
};
const unit = (vector: Float64Array) =>
  vector.map((value) => value / Math.sqrt(dot(vector, vector)));

/** A gallery person: unit-length embeddings of their photos, and their unit centroid. */
interface Person {
  photos: Float64Array[];
  centroid: Float64Array;
  /** The mean distance of their photos to their centroid: 0 for one photo. */
  spread: number;
}

function person(photos: Float64Array[]): Person {
  const middle = unit(centroid(photos));
  const spread = photos.reduce((sum, photo) => sum + 1 - dot(photo, middle), 0) / photos.length;
  return { photos, centroid: middle, spread };
}

/** The distances of one face to every person of the gallery, by each way of combining photos. */
interface Distances {
  closest: Float64Array;
  centroid: Float64Array;
  mean: Float64Array;
}

function distancesTo(face: Float64Array, gallery: readonly Person[]): Distances {
  const out = {
    closest: new Float64Array(gallery.length),
    centroid: new Float64Array(gallery.length),
    mean: new Float64Array(gallery.length),
  };
  gallery.forEach((entry, index) => {
    const photos = entry.photos.map((photo) => 1 - dot(face, photo));
    out.closest[index] = Math.min(...photos);
    out.mean[index] = photos.reduce((sum, distance) => sum + distance, 0) / photos.length;
    out.centroid[index] = 1 - dot(face, entry.centroid);
  });
  return out;
}

/** The mean and standard deviation of the `count` smallest of `values`. */
function nearestStats(values: Float64Array, count: number): { mean: number; sd: number } {
  const nearest = Float64Array.from(values).sort().subarray(0, count);
  const mean = nearest.reduce((sum, value) => sum + value, 0) / nearest.length;
  const variance = nearest.reduce((sum, value) => sum + (value - mean) ** 2, 0) / nearest.length;
  return { mean, sd: Math.sqrt(variance) || 1 };
}

/**
 * A rule scores each member of a gallery (indices into the people) for a face: lower is closer.
 * `prepare` does once per gallery what does not depend on the face.
 */
interface SearchRule {
  name: string;
  prepare(
    gallery: readonly Person[],
    members: readonly number[],
  ): (face: Distances) => Float64Array;
}

const pick = (values: Float64Array, members: readonly number[]) =>
  Float64Array.from(members, (member) => values[member]);

const statsCache = new WeakMap<readonly Person[], WeakMap<readonly number[], Stats[]>>();
type Stats = ReturnType<typeof nearestStats>;

/**
 * Gallery-side normalisation: each member's centroid against the `count` nearest others (once
 * per gallery and `count`, which Z-norm and AS-norm share).
 */
function memberStats(gallery: readonly Person[], members: readonly number[], count: number) {
  const byMembers = statsCache.get(gallery) ?? new WeakMap<readonly number[], Stats[]>();
  statsCache.set(gallery, byMembers);
  const known = byMembers.get(members);
  if (known) return known;
  const stats = members.map((member, index) => {
    const others = new Float64Array(members.length - 1);
    let at = 0;
    members.forEach((other, otherIndex) => {
      if (otherIndex !== index) {
        others[at++] = 1 - dot(gallery[member].centroid, gallery[other].centroid);
      }
    });
    return nearestStats(others, count);
  });
  byMembers.set(members, stats);
  return stats;
}

const cohortRule = (rule: CohortRule): SearchRule => ({
  name: `cohort (${rule.cohort} nearest, weight ${rule.weight})`,
  prepare: (_, members) => (face) => {
    const distances = pick(face.centroid, members);
    const mean = cohortMean(distances, rule.cohort);
    return distances.map((distance) => cohortScore(distance, mean, rule));
  },
});

const RULES: SearchRule[] = [
  { name: 'nearest photo', prepare: (_, members) => (face) => pick(face.closest, members) },
  { name: 'centroid', prepare: (_, members) => (face) => pick(face.centroid, members) },
  { name: 'mean of photos', prepare: (_, members) => (face) => pick(face.mean, members) },
  {
    name: 'mean of nearest photo and centroid',
    prepare: (_, members) => (face) =>
      Float64Array.from(members, (member) => (face.closest[member] + face.centroid[member]) / 2),
  },
  {
    name: 'centroid - 0.25 x spread',
    prepare: (gallery, members) => (face) =>
      Float64Array.from(members, (member) => face.centroid[member] - 0.25 * gallery[member].spread),
  },
  {
    name: 'Z-norm (100 nearest people)',
    prepare: (gallery, members) => {
      const stats = memberStats(gallery, members, 100);
      return (face) =>
        Float64Array.from(
          members,
          (member, index) => (face.centroid[member] - stats[index].mean) / stats[index].sd,
        );
    },
  },
  {
    name: 'AS-norm (100 nearest)',
    prepare: (gallery, members) => {
      const stats = memberStats(gallery, members, 100);
      return (face) => {
        const distances = pick(face.centroid, members);
        const probe = nearestStats(distances, 100);
        return distances.map(
          (distance, index) =>
            ((distance - stats[index].mean) / stats[index].sd +
              (distance - probe.mean) / probe.sd) /
            2,
        );
      };
    },
  },
  cohortRule({ cohort: 10, weight: 1 }),
  cohortRule({ cohort: 10, weight: 0.5 }),
  cohortRule({ cohort: 20, weight: 0.5 }),
  cohortRule(SHIPPED),
];
/** With one photo per person the ways of combining photos are all the centroid. */
const ONE_PHOTO_RULES = RULES.filter(
  (rule) =>
    rule.name === 'centroid' || rule.name.includes('norm') || rule.name.startsWith('cohort'),
);

/** Searches of one gallery variant: the mated ones with their person, and the strangers'. */
function searches(photos: number) {
  const gallery = protocol.gallery.map(({ photos: paths }) =>
    person(paths.slice(0, photos).map((path) => embedding(path)!)),
  );
  const mated = protocol.gallery.flatMap(({ probe }, mate) => {
    const face = probe === undefined ? undefined : embedding(probe);
    return face ? [{ mate, distances: distancesTo(face, gallery) }] : [];
  });
  const strangers = protocol.nonMated.flatMap((path) => {
    const face = embedding(path);
    return face ? [distancesTo(face, gallery)] : [];
  });
  return { gallery, mated, strangers };
}

const everyone = protocol.gallery.map((_, index) => index);
const draws = SIZES.map((size) =>
  size >= everyone.length
    ? [everyone]
    : Array.from({ length: SUBSAMPLES }, (_, seed) =>
        seededShuffle(everyone, seed + 1).slice(0, size),
      ),
);

/** One rule's outcomes in one gallery: mated searches (ranks, scores) and strangers' best scores. */
function outcomes(
  run: ReturnType<typeof searches>,
  rule: SearchRule,
  members: readonly number[],
): { mated: MatedOutcome[]; strangers: number[] } {
  const score = rule.prepare(run.gallery, members);
  const position = new Map(members.map((member, index) => [member, index]));
  const mated: MatedOutcome[] = run.mated.flatMap(({ mate, distances }) => {
    const at = position.get(mate);
    if (at === undefined) return [];
    const scores = score(distances);
    const own = scores[at];
    return [{ rank: 1 + scores.filter((value) => value < own).length, distance: own }];
  });
  // A refused probe is a miss in every gallery it would have searched.
  const refused = protocol.gallery.filter(
    ({ probe }, mate) => probe !== undefined && !embedding(probe) && position.has(mate),
  ).length;
  for (let miss = 0; miss < refused; miss++) {
    mated.push({ rank: Number.POSITIVE_INFINITY, distance: Number.POSITIVE_INFINITY });
  }
  const strangers = run.strangers.map((distances) => Math.min(...score(distances)));
  return { mated, strangers };
}

const started = performance.now();
const percent = (value: number, digits = 1) => `${(value * 100).toFixed(digits)}%`;
const sizeLabel = (size: number) =>
  size >= everyone.length ? `${everyone.length} (all)` : `${size} (mean of ${SUBSAMPLES})`;

const comparison = [1, 3].flatMap((photos) => {
  const run = searches(photos);
  return (photos === 1 ? ONE_PHOTO_RULES : RULES).flatMap((rule) =>
    SIZES.map((size, sizeIndex) => {
      const figures = meanOf(
        draws[sizeIndex].map((members) => {
          const { mated, strangers } = outcomes(run, rule, members);
          return searchFigures(mated, strangers, TARGETS);
        }),
      );
      return { photos, rule: rule.name, size: Math.min(size, everyone.length), ...figures };
    }),
  );
});

// The cohort rule's calibration: every enrolled photo of the set searches galleries of other
// people (each with their first photos, up to 3, that enrol) of each size, drawn at random per
// search; the table is the share of searches whose best score is at or below each score.
const byName = new Map<string, Float64Array[]>();
for (const { person: name, photos } of photosOf) {
  const canonical = REAL_WORLD_SECOND_SPELLINGS.get(name) ?? name;
  const enrolled = photos.flatMap((path) => embedding(path) ?? []);
  byName.set(canonical, [...(byName.get(canonical) ?? []), ...enrolled]);
}
const everybody = [...byName.values()].filter((photos) => photos.length > 0);
const calibrationGallery = everybody.map((photos) => person(photos.slice(0, 3)));
const probes = everybody.flatMap((photos, owner) => photos.map((face) => ({ owner, face })));
const tableSizes = [...TABLE_SIZES, everybody.length - 1];
const bestScores = tableSizes.map(() => new Float64Array(probes.length));
probes.forEach(({ owner, face }, index) => {
  const others = calibrationGallery.flatMap((entry, at) =>
    at === owner ? [] : [1 - dot(face, entry.centroid)],
  );
  tableSizes.forEach((size, sizeIndex) => {
    const members =
      size >= others.length ? others : seededShuffle(others, index + 1).slice(0, size);
    const mean = cohortMean(members, SHIPPED.cohort);
    bestScores[sizeIndex][index] = cohortScore(Math.min(...members), mean, SHIPPED);
  });
});
const search: SearchCalibration = {
  rule: 'cohort',
  ...SHIPPED,
  measuredOn:
    `${SET}: each of its ${probes.length} enrolled photos searches a gallery of that many ` +
    `other people (of ${everybody.length}; each person their first photos, up to 3, that ` +
    `enrol), drawn at random per search`,
  galleries: tableSizes.map((people, sizeIndex): SearchTable => {
    const sorted = bestScores[sizeIndex].sort();
    return {
      people,
      searches: sorted.length,
      // As the other tables: never 0, since a rate under one search cannot be told from them.
      fpir: TABLE_SCORES.map((score): [number, number] => [
        score,
        Number((Math.max(countAtOrBelow(sorted, score), 1) / sorted.length).toPrecision(4)),
      ]),
    };
  }),
};

// What the service's thresholds, derived from that table for the gallery's size, achieve.
const cohortRun = searches(3);
const shippedRule = RULES.at(-1)!;
const derived = SIZES.flatMap((size, sizeIndex) => {
  const people = Math.min(size, everyone.length);
  return TARGETS.map((target) => {
    const threshold = cohortScoreThreshold(search, target, people);
    const result = meanOf(
      draws[sizeIndex].map((members) => {
        const { mated, strangers } = outcomes(cohortRun, shippedRule, members);
        return atThreshold(mated, strangers, threshold);
      }),
    );
    return { size: people, target, ...result };
  });
});
process.stderr.write(`  measured in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

console.log(
  `${SET} identification by rule: ${protocol.gallery.length} people in the gallery, ` +
    `${comparison[0].matedSearches} mated searches in the whole gallery, ` +
    `${comparison[0].nonMatedSearches} strangers (the protocol of npm run calibrate)\n`,
);
console.log(
  table(
    comparison.map((row) => ({
      'photos per person': row.photos === 1 ? 'one' : `up to ${row.photos}`,
      rule: row.rule,
      'gallery (people)': sizeLabel(row.size),
      'rank 1': percent(row.rank1),
      ...Object.fromEntries(
        row.atFpir.map((at) => [`TPIR at FPIR ${percent(at.target)}`, percent(at.tpir)]),
      ),
    })),
  ),
);
console.log(`\nthe cohort rule's search table: ${search.measuredOn}\n`);
console.log(
  table(
    search.galleries.map((gallery) => ({
      'gallery (people)': gallery.people,
      ...Object.fromEntries(
        TARGETS.map((target) => [
          `score at FPIR ${percent(target)}`,
          cohortScoreThreshold(search, target, gallery.people).toFixed(4),
        ]),
      ),
    })),
  ),
);
console.log(`\nthe derived thresholds on the protocol (up to 3 photos, ${shippedRule.name})\n`);
console.log(
  table(
    derived.map((row) => ({
      'gallery (people)': sizeLabel(row.size),
      'target FPIR': percent(row.target),
      'score threshold': row.threshold.toFixed(4),
      'FPIR achieved': percent(row.fpir, 2),
      TPIR: percent(row.tpir),
    })),
  ),
);

const outDir = resolve(env.FACE_MODEL === 'dlib' ? args.out : join(args.out, env.FACE_MODEL));
mkdirSync(outDir, { recursive: true });
const summaryFile = join(outDir, 'open-set-rules.json');
writeFileSync(
  summaryFile,
  `${JSON.stringify({ set: SET, model: shipped.model, comparison, derived }, null, 2)}\n`,
);
console.log(`\nwrote ${relative(process.cwd(), summaryFile)}`);
if (args['write-search-table']) {
  writeCalibration({ ...shipped, search }, env.FACE_MODEL);
  console.log(`wrote ${relative(process.cwd(), calibrationFile(env.FACE_MODEL))}`);
}
