// Open-set identification (1:N), measured as NIST FRVT does: a gallery of enrolled people, mated
// searches (the probe's person is in the gallery) and non-mated ones (a stranger), each search a
// candidate list by distance. TPIR(t) is the share of mated searches whose nearest candidate is the
// right person within t; FPIR(t) the share of non-mated searches with any candidate within t.
import { personDistance, type PersonRule } from '../../src/face-engine/person-rule.js';
import { cosineDistance } from '../../src/face-engine/cosine-distance.js';
import {
  pairRateForFpir,
  thresholdForPairRate,
  type CalibrationTable,
} from '../../src/face-engine/calibration.js';
import type { PersonPhotos } from './labelled-sets.js';
import { table } from '../bench/table.js';
import { countAtOrBelow, thresholdForFar } from './verdicts.js';

/** A person of the gallery: the photos enrolled, and the mated search's photo if there is one. */
export interface GalleryPerson {
  person: string;
  /** Lowest-numbered first; the first alone is the one-photo gallery's entry. */
  photos: string[];
  /** The other photo searched for this person: absent for a distractor (one photo only). */
  probe?: string;
}

export interface OpenSetProtocol {
  /** People with two or more photos, and the distractors, by name. */
  gallery: GalleryPerson[];
  /** The photos of the one-photo people held out of the gallery, searched as strangers. */
  nonMated: string[];
  /** People with two or more photos none of which enrols: neither in the gallery nor searched. */
  unenrolled: string[];
  /** People enrolled with a later photo because their lowest-numbered one was refused. */
  laterPhoto: string[];
  /** One-photo people meant as distractors whose photo is refused. */
  refusedDistractors: string[];
  /** People left out because the set also files them under another name. */
  aliases: string[];
}

/**
 * The protocol over `people` (by name, each one's photos lowest-numbered first). A person with two
 * or more photos is enrolled with the lowest-numbered photo that `enrols` and searched with the
 * next-numbered one (the one before, when the enrolled photo is the last: refused, so a miss); the
 * up-to-`maxPhotos` gallery adds their next enrolling photos other than the probe. One-photo
 * people alternate by name: the first, third, ... are distractors in the gallery, the others
 * strangers searched for. `aliases`, people the set also files under another name, are left out
 * (a stranger who is someone in the gallery is no stranger) without moving that alternation.
 */
export function openSetProtocol(
  people: readonly PersonPhotos[],
  enrols: (photo: string) => boolean,
  maxPhotos: number,
  aliases: ReadonlySet<string> = new Set(),
): OpenSetProtocol {
  const protocol: OpenSetProtocol = {
    gallery: [],
    nonMated: [],
    unenrolled: [],
    laterPhoto: [],
    refusedDistractors: [],
    aliases: [],
  };
  const sorted = [...people].sort((a, b) =>
    a.person < b.person ? -1 : a.person > b.person ? 1 : 0,
  );
  let single = 0;
  for (const { person, photos } of sorted) {
    const stranger = photos.length === 1 && single++ % 2 === 1;
    if (aliases.has(person)) {
      protocol.aliases.push(person);
      continue;
    }
    if (photos.length === 1) {
      if (stranger) protocol.nonMated.push(photos[0]);
      else if (enrols(photos[0])) protocol.gallery.push({ person, photos });
      else protocol.refusedDistractors.push(person);
      continue;
    }
    const first = photos.findIndex(enrols);
    if (first === -1) {
      protocol.unenrolled.push(person);
      continue;
    }
    if (first > 0) protocol.laterPhoto.push(person);
    const probe = photos[first + 1] ?? photos[first - 1];
    const enrolled = photos
      .filter((photo, index) => photo !== probe && index >= first && enrols(photo))
      .slice(0, maxPhotos);
    protocol.gallery.push({ person, photos: enrolled, probe });
  }
  return protocol;
}

/** A deterministic pseudo-random sequence in [0, 1) (mulberry32): the same seed, the same draws. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A copy of `items` in a Fisher-Yates order drawn from `seed`. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const shuffled = [...items];
  for (let index = shuffled.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [shuffled[index], shuffled[other]] = [shuffled[other], shuffled[index]];
  }
  return shuffled;
}

/**
 * The distance from `probe` to each gallery person: by default the nearest of that person's
 * embeddings (what ranking photos gives), else the person-level `rule` the service applies with
 * `group_by=subject`.
 */
export function personDistances(
  probe: ArrayLike<number>,
  gallery: readonly (readonly ArrayLike<number>[])[],
  rule: PersonRule = 'closest',
): Float64Array {
  return Float64Array.from(gallery, (embeddings) =>
    rule === 'closest'
      ? Math.min(...embeddings.map((embedding) => cosineDistance(probe, embedding)))
      : personDistance(probe, embeddings, rule),
  );
}

/** Where a mated search put its person: rank 1 is the nearest. Infinite when the probe is refused. */
export interface MatedOutcome {
  rank: number;
  distance: number;
}

export const REFUSED_SEARCH: MatedOutcome = {
  rank: Number.POSITIVE_INFINITY,
  distance: Number.POSITIVE_INFINITY,
};

/** The mate's rank among `members` (gallery indices): one more than those strictly nearer. */
export function matedOutcome(
  distances: ArrayLike<number>,
  mate: number,
  members: readonly number[],
): MatedOutcome {
  const distance = distances[mate];
  let nearer = 0;
  for (const member of members) if (distances[member] < distance) nearer++;
  return { rank: nearer + 1, distance };
}

/** The nearest distance among `members` (gallery indices). */
export function nearestDistance(distances: ArrayLike<number>, members: readonly number[]): number {
  let nearest = Number.POSITIVE_INFINITY;
  for (const member of members) nearest = Math.min(nearest, distances[member]);
  return nearest;
}

function share(count: number, total: number): number {
  return total === 0 ? 0 : count / total;
}

/** The share of mated searches whose person is among the first `rank` candidates. */
export function identificationRate(mated: readonly MatedOutcome[], rank: number): number {
  return share(mated.filter((outcome) => outcome.rank <= rank).length, mated.length);
}

/** TPIR(t): the share of mated searches whose nearest candidate is their person, within t. */
export function truePositiveRate(mated: readonly MatedOutcome[], threshold: number): number {
  const hits = mated.filter((outcome) => outcome.rank === 1 && outcome.distance <= threshold);
  return share(hits.length, mated.length);
}

/** FPIR(t): the share of non-mated searches (their nearest distances, ascending) within t. */
export function falsePositiveRate(nonMated: ArrayLike<number>, threshold: number): number {
  return share(countAtOrBelow(nonMated, threshold), nonMated.length);
}

/** One gallery's figures at a threshold. */
export interface ThresholdResult {
  threshold: number;
  fpir: number;
  tpir: number;
}

/** The threshold that holds FPIR to a target, and the TPIR it leaves. */
export interface FpirResult extends ThresholdResult {
  target: number;
  /**
   * How many non-mated searches may match at this FPIR on this run: 0 means the threshold sits
   * just under the single nearest stranger.
   */
  strangersAllowed: number;
}

export interface SearchFigures {
  matedSearches: number;
  nonMatedSearches: number;
  rank1: number;
  rank5: number;
  atFpir: FpirResult[];
}

/** Rank-1 and rank-5, and TPIR at each target FPIR (the threshold read off the strangers). */
export function searchFigures(
  mated: readonly MatedOutcome[],
  nonMated: readonly number[],
  targets: readonly number[],
): SearchFigures {
  const strangers = Float64Array.from(nonMated).sort();
  return {
    matedSearches: mated.length,
    nonMatedSearches: strangers.length,
    rank1: identificationRate(mated, 1),
    rank5: identificationRate(mated, 5),
    atFpir: targets.map((target) => {
      const threshold = thresholdForFar(strangers, target);
      return {
        target,
        threshold,
        fpir: falsePositiveRate(strangers, threshold),
        tpir: truePositiveRate(mated, threshold),
        strangersAllowed: Math.floor(target * strangers.length + 1e-9),
      };
    }),
  };
}

/** FPIR and TPIR at a threshold. */
export function atThreshold(
  mated: readonly MatedOutcome[],
  nonMated: readonly number[],
  threshold: number,
): ThresholdResult {
  const strangers = Float64Array.from(nonMated).sort();
  return {
    threshold,
    fpir: falsePositiveRate(strangers, threshold),
    tpir: truePositiveRate(mated, threshold),
  };
}

/**
 * The mean of same-shaped results (numbers averaged field by field, arrays element by element):
 * the figures of several subsampled galleries of one size.
 */
export function meanOf<T>(results: readonly T[]): T {
  const [first] = results;
  // Kept as is when every result agrees, so that a constant (a target) stays exactly itself.
  if (results.every((result) => result === first)) return first;
  if (typeof first === 'number') {
    return ((results as readonly number[]).reduce((sum, value) => sum + value, 0) /
      results.length) as T;
  }
  if (Array.isArray(first)) {
    return first.map((_, index) =>
      meanOf(results.map((result) => (result as unknown[])[index])),
    ) as T;
  }
  if (first !== null && typeof first === 'object') {
    return Object.fromEntries(
      Object.keys(first).map((key) => [
        key,
        meanOf(results.map((result) => (result as Record<string, unknown>)[key])),
      ]),
    ) as T;
  }
  return first;
}

export interface OpenSetOptions {
  /** Gallery sizes in people; one at or above the whole gallery's size is the whole gallery. */
  sizes: readonly number[];
  /** Seeded subsamples averaged for each size below the whole gallery. */
  subsamples: number;
  /** Photos per person in the gallery, one variant each (1: the lowest-numbered only). */
  photosPerPerson: readonly number[];
  /** Target FPIRs. */
  targets: readonly number[];
  /** The service's default threshold. */
  threshold: number;
  /** The shipped per-pair false accept table, for the thresholds derived from a target FPIR. */
  far: CalibrationTable['far'];
  /** How a person's photos combine into one distance (default `closest`, the nearest photo). */
  rule?: PersonRule;
}

/** The threshold the service would derive for a target FPIR, and what it achieves. */
export interface DerivedResult extends ThresholdResult {
  target: number;
  /** The per-pair false accept rate that the gallery's entries give the target at, if independent. */
  pairRate: number;
}

export interface GalleryFigures extends SearchFigures {
  photosPerPerson: number;
  rule: PersonRule;
  /** People in the gallery. */
  size: number;
  /** Photos in the gallery (the N of the derived thresholds), a mean over the subsamples. */
  entries: number;
  subsamples: number;
  /** The lowest and highest rank-1 rate of the subsamples. */
  rank1Range: Range;
  atDefault: ThresholdResult;
  /** Means over the subsamples, with the range of the FPIR each achieved. */
  derived: (DerivedResult & { fpirRange: Range })[];
}

export interface Range {
  min: number;
  max: number;
}

const range = (values: readonly number[]): Range => ({
  min: Math.min(...values),
  max: Math.max(...values),
});

/**
 * The open-set figures of `protocol` for each gallery variant and size: a size below the whole
 * gallery is the mean over seeded subsamples of its people (seeds 1, 2, ...; the same people for
 * every variant), searched for only if in it; every stranger searches every gallery. `embedding`
 * gives a photo's face, or nothing when the photo is refused.
 */
export function openSetRun(
  protocol: OpenSetProtocol,
  embedding: (photo: string) => ArrayLike<number> | undefined,
  options: OpenSetOptions,
): GalleryFigures[] {
  const everyone = protocol.gallery.map((_, index) => index);
  const sizes = [...new Set(options.sizes.map((size) => Math.min(size, everyone.length)))];
  const draws = new Map(
    sizes.map((size) => [
      size,
      size === everyone.length
        ? [everyone]
        : Array.from({ length: options.subsamples }, (_, seed) =>
            seededShuffle(everyone, seed + 1).slice(0, size),
          ),
    ]),
  );
  return options.photosPerPerson.flatMap((photosPerPerson) => {
    const gallery = protocol.gallery.map((person) =>
      person.photos.slice(0, photosPerPerson).map((photo) => {
        const face = embedding(photo);
        if (!face) throw new Error(`${photo} is in the gallery but does not enrol`);
        return face;
      }),
    );
    const search = (photo: string) => {
      const face = embedding(photo);
      return face && personDistances(face, gallery, options.rule);
    };
    const mated = protocol.gallery.flatMap((person, mate) =>
      person.probe === undefined ? [] : [{ mate, distances: search(person.probe) }],
    );
    const strangers = protocol.nonMated.map(search).filter((distances) => distances !== undefined);
    return sizes.map((size): GalleryFigures => {
      const runs = draws.get(size)!.map((members) => {
        const inGallery = new Set(members);
        const outcomes = mated
          .filter(({ mate }) => inGallery.has(mate))
          .map(({ mate, distances }) =>
            distances ? matedOutcome(distances, mate, members) : REFUSED_SEARCH,
          );
        const nearest = strangers.map((distances) => nearestDistance(distances, members));
        const entries = members.reduce((sum, member) => sum + gallery[member].length, 0);
        return {
          entries,
          ...searchFigures(outcomes, nearest, options.targets),
          atDefault: atThreshold(outcomes, nearest, options.threshold),
          derived: options.targets.map((target): DerivedResult => {
            const pairRate = pairRateForFpir(target, entries);
            const threshold = thresholdForPairRate(options.far, pairRate);
            return { target, pairRate, ...atThreshold(outcomes, nearest, threshold) };
          }),
        };
      });
      const mean = meanOf(runs);
      return {
        photosPerPerson,
        rule: options.rule ?? 'closest',
        size,
        subsamples: runs.length,
        rank1Range: range(runs.map((run) => run.rank1)),
        ...mean,
        derived: mean.derived.map((row, index) => ({
          ...row,
          fpirRange: range(runs.map((run) => run.derived[index].fpir)),
        })),
      };
    });
  });
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const photosLabel = (row: GalleryFigures) =>
  (row.photosPerPerson === 1 ? 'one' : `up to ${row.photosPerPerson}`) +
  (row.rule === 'closest' || row.photosPerPerson === 1 ? '' : `, ${row.rule}`);
const distance = (value: number) => (Number.isFinite(value) ? value.toFixed(4) : '-');
const gallery = (figures: GalleryFigures) =>
  `${figures.size}${figures.photosPerPerson > 1 ? ` (${Math.round(figures.entries)} photos)` : ''}` +
  (figures.subsamples > 1 ? `, mean of ${figures.subsamples}` : '');

/** The strangers an FPIR stands for: the mean over the subsamples, and their fewest and most. */
function strangersMatched(
  figures: GalleryFigures,
  { fpir, fpirRange }: GalleryFigures['derived'][number],
) {
  const count = (rate: number) => Math.round(rate * figures.nonMatedSearches);
  const mean = (fpir * figures.nonMatedSearches).toFixed(figures.subsamples > 1 ? 1 : 0);
  return figures.subsamples > 1
    ? `${mean} (${count(fpirRange.min)} to ${count(fpirRange.max)})`
    : mean;
}

/**
 * Two Markdown tables: the searches' figures per gallery (TPIR at each target FPIR, with the
 * threshold it needs; FPIR and TPIR at the default), and the thresholds derived from the shipped
 * table beside what they achieve.
 */
export function openSetTables(figures: readonly GalleryFigures[], threshold: number): string {
  const searches = table(
    figures.map((row) => ({
      'photos per person': photosLabel(row),
      'gallery (people)': gallery(row),
      'mated / non-mated searches': `${Math.round(row.matedSearches)} / ${row.nonMatedSearches}`,
      'rank 1': percent(row.rank1),
      'rank 5': percent(row.rank5),
      ...Object.fromEntries(
        row.atFpir.map((at) => [
          `TPIR at FPIR ${percent(at.target)} (threshold)`,
          `${percent(at.tpir)} (${distance(at.threshold)})`,
        ]),
      ),
      [`at ${threshold}: FPIR`]: percent(row.atDefault.fpir),
      [`at ${threshold}: TPIR`]: percent(row.atDefault.tpir),
    })),
  );
  // The derived thresholds read the per-pair table at the number of photos: only for photos ranked
  // one by one (a person's rule has a table of its own, models/calibration.json's `person`).
  const derived = table(
    figures
      .filter((row) => row.rule === 'closest')
      .flatMap((row) =>
        row.derived.map((at) => ({
          'photos per person': photosLabel(row),
          'gallery (people)': gallery(row),
          'target FPIR': percent(at.target),
          'per-pair FAR': at.pairRate.toPrecision(2),
          threshold: distance(at.threshold),
          'FPIR achieved': `${(at.fpir * 100).toFixed(2)}%`,
          'strangers matched (range)': strangersMatched(row, at),
          TPIR: percent(at.tpir),
        })),
      ),
  );
  return `${searches}\n\n${derived}`;
}
