import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pairRateForFpir, type CalibrationTable } from '../../src/face-engine/calibration.js';
import {
  matedOutcome,
  meanOf,
  nearestDistance,
  openSetProtocol,
  openSetRun,
  personDistances,
  REFUSED_SEARCH,
  searchFigures,
  seededShuffle,
} from './open-set.js';

const people = [
  { person: 'Ann', photos: ['a1', 'a2', 'a3', 'a4', 'a5'] },
  { person: 'Bob', photos: ['b1', 'b2', 'b3'] },
  { person: 'Cid', photos: ['c1', 'c2'] },
  { person: 'Dan', photos: ['d1', 'd2'] },
  { person: 'Eve', photos: ['e1'] },
  { person: 'Fay', photos: ['f1'] },
  { person: 'Gus', photos: ['g1'] },
  { person: 'Hal', photos: ['h1'] },
];
const refused = new Set(['b1', 'c1', 'd1', 'd2', 'g1']);
const enrols = (photo: string) => !refused.has(photo);

describe('open-set protocol', () => {
  it('should enrol the lowest-numbered photo that enrols and search the next-numbered', () => {
    const protocol = openSetProtocol(people, enrols, 1);
    assert.deepEqual(protocol.gallery.slice(0, 2), [
      { person: 'Ann', photos: ['a1'], probe: 'a2' },
      { person: 'Bob', photos: ['b2'], probe: 'b3' },
    ]);
    assert.deepEqual(protocol.laterPhoto, ['Bob', 'Cid']);
  });

  it('should search the photo before when the enrolled one is the last', () => {
    const protocol = openSetProtocol(people, enrols, 1);
    assert.deepEqual(
      protocol.gallery.find((person) => person.person === 'Cid'),
      { person: 'Cid', photos: ['c2'], probe: 'c1' },
    );
  });

  it('should leave out a person none of whose photos enrols', () => {
    const protocol = openSetProtocol(people, enrols, 1);
    assert.deepEqual(protocol.unenrolled, ['Dan']);
    assert.ok(!protocol.gallery.some((person) => person.person === 'Dan'));
  });

  it('should alternate one-photo people by name between distractors and strangers', () => {
    const protocol = openSetProtocol([...people].reverse(), enrols, 1);
    assert.deepEqual(
      protocol.gallery.filter((person) => person.probe === undefined),
      [{ person: 'Eve', photos: ['e1'] }],
    );
    assert.deepEqual(protocol.refusedDistractors, ['Gus']);
    assert.deepEqual(protocol.nonMated, ['f1', 'h1']);
  });

  it('should leave aliases out without moving the alternation of the others', () => {
    const protocol = openSetProtocol(people, enrols, 1, new Set(['Eve', 'Bob']));
    assert.deepEqual(protocol.aliases, ['Bob', 'Eve']);
    assert.deepEqual(
      protocol.gallery.map((person) => person.person),
      ['Ann', 'Cid'],
    );
    assert.deepEqual(protocol.nonMated, ['f1', 'h1']);
  });

  it('should add up to the given number of enrolling photos other than the probe', () => {
    assert.deepEqual(openSetProtocol(people, enrols, 3).gallery[0].photos, ['a1', 'a3', 'a4']);
    assert.deepEqual(openSetProtocol(people, enrols, 3).gallery[1].photos, ['b2']);
  });
});

describe('seeded shuffle', () => {
  const items = Array.from({ length: 50 }, (_, index) => index);

  it('should give the same order for the same seed and another for another seed', () => {
    assert.deepEqual(seededShuffle(items, 1), seededShuffle(items, 1));
    assert.notDeepEqual(seededShuffle(items, 1), seededShuffle(items, 2));
  });

  it('should keep every item once and leave its input alone', () => {
    const copy = [...items];
    assert.deepEqual(
      [...seededShuffle(items, 7)].sort((a, b) => a - b),
      items,
    );
    assert.deepEqual(items, copy);
  });
});

describe('searches', () => {
  const distances = [0.3, 0.1, 0.2, 0.05];

  it('should rank the mate after the gallery members strictly nearer', () => {
    assert.deepEqual(matedOutcome(distances, 0, [0, 1, 2]), { rank: 3, distance: 0.3 });
    assert.deepEqual(matedOutcome(distances, 0, [0, 2]), { rank: 2, distance: 0.3 });
    assert.deepEqual(matedOutcome(distances, 3, [0, 1, 2, 3]), { rank: 1, distance: 0.05 });
  });

  it('should measure a person by their nearest photo, or by the centroid of their photos', () => {
    // Two photos at right angles, the probe between them: each 1 - cos 45° away, the centroid 0.
    const person = [
      [1, 0],
      [0, 1],
    ];
    const probe = [Math.SQRT1_2, Math.SQRT1_2];
    const [nearest] = personDistances(probe, [person]);
    assert.ok(Math.abs(nearest - (1 - Math.SQRT1_2)) < 1e-12, String(nearest));
    const [centroid] = personDistances(probe, [person], 'centroid');
    assert.ok(Math.abs(centroid) < 1e-12, String(centroid));
  });

  it('should take the nearest distance among the gallery members only', () => {
    assert.equal(nearestDistance(distances, [0, 1, 2]), 0.1);
    assert.equal(nearestDistance(distances, [0]), 0.3);
  });

  it('should read TPIR at the threshold that holds FPIR to each target', () => {
    // Ten strangers: FPIR 10% lets the nearest one in, FPIR 1% none.
    const strangers = [0.5, 0.09, 0.08, 0.3, 0.4, 0.2, 0.25, 0.35, 0.45, 0.15];
    const mated = [
      { rank: 1, distance: 0.05 },
      { rank: 1, distance: 0.085 },
      { rank: 2, distance: 0.07 },
      REFUSED_SEARCH,
    ];
    const figures = searchFigures(mated, strangers, [0.1, 0.01]);
    assert.equal(figures.rank1, 0.5);
    assert.equal(figures.rank5, 0.75);
    assert.equal(figures.nonMatedSearches, 10);
    const [ten, one] = figures.atFpir;
    assert.ok(Math.abs(ten.threshold - 0.09) < 1e-5 && ten.threshold < 0.09);
    assert.equal(ten.fpir, 0.1);
    assert.equal(ten.tpir, 0.5);
    assert.equal(ten.strangersAllowed, 1);
    assert.ok(one.threshold < 0.08);
    assert.equal(one.fpir, 0);
    assert.equal(one.tpir, 0.25);
    assert.equal(one.strangersAllowed, 0);
  });
});

describe('open-set run', () => {
  // Eight people on a circle, 45 degrees apart; each probe 5 degrees off its mate; strangers
  // half-way between two people.
  const at = (degrees: number) => [
    Math.cos((degrees * Math.PI) / 180),
    Math.sin((degrees * Math.PI) / 180),
  ];
  const names = Array.from({ length: 8 }, (_, index) => `p${index}`);
  const faces = new Map<string, number[]>(
    names.flatMap((name, index) => [
      [`${name}/1`, at(index * 45)],
      [`${name}/2`, at(index * 45 + 5)],
    ]),
  );
  faces.set('s0/1', at(22.5));
  faces.set('s1/1', at(202.5));
  const protocol = openSetProtocol(
    [
      ...names.map((person) => ({ person, photos: [`${person}/1`, `${person}/2`] })),
      { person: 's0', photos: ['s0/1'] },
      { person: 's1', photos: ['s1/1'] },
    ],
    (photo) => faces.has(photo),
    3,
  );
  const far: CalibrationTable['far'] = [
    [0, 0.001],
    [1, 1],
  ];
  const options = {
    sizes: [4, 100],
    subsamples: 3,
    photosPerPerson: [1],
    targets: [0.5],
    threshold: 0.01,
    far,
  };

  it('should find every mate at rank 1, over the whole gallery and its subsamples', () => {
    const [four, all] = openSetRun(protocol, (photo) => faces.get(photo), options);
    assert.equal(all.size, 9);
    assert.equal(all.subsamples, 1);
    assert.equal(all.matedSearches, 8);
    assert.equal(all.nonMatedSearches, 1);
    assert.equal(all.rank1, 1);
    assert.equal(four.size, 4);
    assert.equal(four.subsamples, 3);
    assert.equal(four.entries, 4);
    assert.deepEqual(four.rank1Range, { min: 1, max: 1 });
    const [derived] = four.derived;
    assert.ok(derived.fpirRange.min <= derived.fpir && derived.fpir <= derived.fpirRange.max);
  });

  it('should count a distance within the default threshold as a match', () => {
    const [, all] = openSetRun(protocol, (photo) => faces.get(photo), options);
    // 1 - cos(5 degrees) is 0.0038: every mate matches; the stranger (s1) is 22.5 degrees off.
    assert.equal(all.atDefault.tpir, 1);
    assert.equal(all.atDefault.fpir, 0);
  });

  it('should derive the threshold from the gallery size and the table', () => {
    const [, all] = openSetRun(protocol, (photo) => faces.get(photo), options);
    const [derived] = all.derived;
    assert.equal(derived.pairRate, pairRateForFpir(0.5, 9));
    assert.ok(Math.abs(derived.threshold - (derived.pairRate - 0.001) / 0.999) < 1e-12);
  });
});

describe('meanOf', () => {
  it('should average numbers field by field and element by element, keeping constants exact', () => {
    assert.deepEqual(
      meanOf([
        { rate: 0.5, rows: [{ at: 1 }, { at: 3 }] },
        { rate: 1, rows: [{ at: 3 }, { at: 5 }] },
      ]),
      { rate: 0.75, rows: [{ at: 2 }, { at: 4 }] },
    );
    assert.equal(meanOf([0.1, 0.1, 0.1]), 0.1);
  });
});
