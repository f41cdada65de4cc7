import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { InvalidOperatingPointError } from '../common/errors.js';
import { SECURITY_LEVELS } from '../common/operating-point.js';
import {
  Calibration,
  CALIBRATION_FILE,
  calibrationFile,
  calibrationProblems,
  cohortFalsePositiveRate,
  cohortScoreThreshold,
  falseAcceptRate,
  PERSON_REFERENCE_COUNTS,
  personTable,
  fpirForPairRate,
  pairRateForFpir,
  thresholdForPairRate,
  type CalibrationTable,
  type SearchCalibration,
} from './calibration.js';
import { FakeFaceAnalyser } from '../../test/support/fake-face-analyser.js';
import { appConfigFrom } from '../config/app-config.js';
import { FACE_MODELS, validateEnvironment } from '../config/environment.js';

const shipped = JSON.parse(readFileSync(CALIBRATION_FILE, 'utf8')) as CalibrationTable;

/** The engine as Calibration sees it: only its model string matters. */
const analyser = (model: string) => Object.assign(new FakeFaceAnalyser(), { model });
/** The default configuration: FACE_MODEL dlib, whose table is CALIBRATION_FILE. */
const config = appConfigFrom(validateEnvironment({}));

describe('the shipped calibration table', () => {
  it('should give a false accept rate that never falls as the distance grows', () => {
    for (let index = 1; index < shipped.far.length; index++) {
      const [distance, rate] = shipped.far[index];
      assert.ok(distance > shipped.far[index - 1][0], `distances ascend at ${index}`);
      assert.ok(rate >= shipped.far[index - 1][1], `rate falls at ${distance}`);
    }
    for (let distance = 0; distance < 0.5; distance += 0.00037) {
      assert.ok(falseAcceptRate(shipped, distance + 0.0001) >= falseAcceptRate(shipped, distance));
    }
  });

  it('should put each security level where its false accept rate is at most the level allows', () => {
    for (const [level, rate] of Object.entries(SECURITY_LEVELS)) {
      const threshold = shipped.thresholds[level as keyof typeof SECURITY_LEVELS];
      // The table's steps are coarser than the threshold: the step below it is within the rate.
      const below = shipped.far.filter(([distance]) => distance <= threshold).at(-1);
      assert.ok(below && below[1] <= rate, `${level}: ${JSON.stringify(below)}`);
      const above = shipped.far.find(([distance]) => distance > threshold + 0.002);
      assert.ok(above && above[1] > rate, `${level}: ${JSON.stringify(above)}`);
    }
    assert.ok(shipped.thresholds.high < shipped.thresholds.medium);
    assert.ok(shipped.thresholds.medium < shipped.thresholds.low);
  });

  it('should be measured on enough pairs to tell 0.01% apart', () => {
    assert.ok(shipped.impostorPairs * SECURITY_LEVELS.high >= 100);
  });
});

describe('the calibration of each FACE_MODEL', () => {
  it('should be sound and name the model it was measured for', () => {
    const prefixes = {
      dlib: 'face-api/face_recognition_model@',
      mobilefacenet: 'MobileFaceNet@',
      fusion: 'fusion(',
    } as const;
    for (const model of FACE_MODELS) {
      const file = calibrationFile(model);
      if (!existsSync(file)) assert.fail(`${file} is not shipped`);
      const table = JSON.parse(readFileSync(file, 'utf8')) as CalibrationTable;
      assert.deepEqual(calibrationProblems(table), [], file);
      assert.ok(table.model.startsWith(prefixes[model]), `${file}: ${table.model}`);
    }
  });
});

describe('Calibration', () => {
  const calibration = (model: string) => new Calibration(analyser(model), config);

  it("should turn a client's choice into a threshold, or refuse an ambiguous one", () => {
    const current = calibration(shipped.model);
    assert.equal(current.threshold({}, 0.07), 0.07);
    assert.equal(current.threshold({ threshold: 0.05 }, 0.07), 0.05);
    assert.equal(current.threshold({ security: 'low' }, 0.07), shipped.thresholds.low);
    assert.throws(
      () => current.threshold({ threshold: 0.05, security: 'low' }, 0.07),
      InvalidOperatingPointError,
    );
    assert.equal(current.falseAcceptRate(shipped.thresholds.medium)! <= 0.0011, true);
  });

  it('should offer no levels or rates for a model the table was not measured on', () => {
    const other = calibration('another-model+p9');
    assert.equal(other.falseAcceptRate(0.05), undefined);
    assert.throws(() => other.threshold({ security: 'high' }, 0.07), InvalidOperatingPointError);
    assert.equal(other.threshold({ threshold: 0.05 }, 0.07), 0.05);
  });
});

describe('thresholds derived from the per-pair table', () => {
  const table: CalibrationTable = {
    model: 'test',
    measuredOn: 'test',
    impostorPairs: 1e7,
    thresholds: { high: 0.05, medium: 0.07, low: 0.09 },
    far: [
      [0, 1e-7],
      [0.05, 1e-7],
      [0.1, 1e-5],
      [0.15, 1e-3],
      [0.2, 1],
    ],
  };

  it('should spread a target FPIR over the gallery as 1 - (1 - FPIR)^(1/N)', () => {
    assert.equal(pairRateForFpir(0.01, 1), 0.01);
    const rate = pairRateForFpir(0.01, 1000);
    assert.ok(Math.abs(1 - (1 - rate) ** 1000 - 0.01) < 1e-12);
    assert.ok(Math.abs(pairRateForFpir(0.001, 1e6) / 1.0005e-9 - 1) < 1e-4);
  });

  it('should invert the table as falseAcceptRate reads it', () => {
    for (const rate of [2e-7, 1e-6, 1e-5, 1e-4, 0.5]) {
      const threshold = thresholdForPairRate(table.far, rate);
      assert.ok(Math.abs(falseAcceptRate(table, threshold) / rate - 1) < 1e-9, String(rate));
    }
  });

  it('should take the largest distance of a flat step and the table ends beyond it', () => {
    assert.equal(thresholdForPairRate(table.far, 1e-7), 0.05);
    assert.equal(thresholdForPairRate(table.far, 1e-8), 0);
    assert.equal(thresholdForPairRate(table.far, 2), 0.2);
  });
});

describe('the operating point of a search', () => {
  const current = new Calibration(analyser(shipped.model), config);
  const search = (size: number, point = {}) => current.searchThreshold(point, size, 0.01, 0.079);

  it('should lower the threshold as the gallery grows, never raise it', () => {
    let previous = Number.POSITIVE_INFINITY;
    for (const size of [1, 2, 10, 100, 1_000, 10_000, 100_000, 1_000_000]) {
      const { threshold, targetFpir } = search(size);
      assert.equal(targetFpir, 0.01);
      assert.ok(threshold <= previous, `${size}: ${threshold} > ${previous}`);
      previous = threshold;
    }
    assert.ok(search(1_000).threshold < search(10).threshold);
  });

  it('should give a stranger at most the target chance of a match, as the table estimates it', () => {
    for (const size of [1, 10, 100, 1_000, 5_000]) {
      for (const [level, fpir] of [
        ['high', 0.001],
        ['medium', 0.01],
        ['low', 0.1],
      ] as const) {
        const { threshold, targetFpir } = search(size, { security: level });
        assert.equal(targetFpir, fpir);
        const estimated = current.searchFalsePositiveRate(threshold, size)!;
        assert.ok(estimated <= fpir * 1.0001, `${level} at ${size}: ${estimated}`);
        // Within one step of the table: a threshold 0.001 further lets in more than the target.
        assert.ok(current.searchFalsePositiveRate(threshold + 0.001, size)! > fpir);
      }
    }
  });

  it('should give a pair search the pair table: one reference, the per-pair rate', () => {
    assert.equal(current.searchFalsePositiveRate(0.05, 1), current.falseAcceptRate(0.05));
    assert.ok(Math.abs(fpirForPairRate(pairRateForFpir(0.01, 2_000), 2_000) - 0.01) < 1e-12);
  });

  it("should never be looser than a pair's threshold by default, only when a level asks for it", () => {
    assert.equal(search(1).threshold, 0.079);
    assert.equal(search(1).targetFpir, 0.01);
    assert.ok(search(1, { security: 'low' }).threshold > 0.079);
    assert.ok(search(100).threshold < 0.079);
  });

  it("should apply a client's threshold as it is, and name no target for it", () => {
    assert.deepEqual(search(1_000, { threshold: 0.06 }), { threshold: 0.06, targetFpir: null });
    assert.throws(
      () => search(1_000, { threshold: 0.06, security: 'low' }),
      InvalidOperatingPointError,
    );
  });

  it('should fall back to the pair threshold, with no target, for a model without calibration', () => {
    const other = new Calibration(analyser('another-model+p9'), config);
    assert.deepEqual(other.searchThreshold({}, 1_000, 0.01, 0.079), {
      threshold: 0.079,
      targetFpir: null,
    });
    assert.throws(
      () => other.searchThreshold({ security: 'high' }, 1_000, 0.01, 0.079),
      InvalidOperatingPointError,
    );
  });
});

describe('the shipped person-level tables', () => {
  const person = shipped.person!;

  it('should be there, for 1, 2 and 3 references, with a rule the service knows', () => {
    assert.ok(person, 'npm run person-level -- --write-person-table');
    assert.deepEqual(calibrationProblems(shipped), []);
    assert.deepEqual(
      person.tables.map((table) => table.references),
      [...PERSON_REFERENCE_COUNTS],
    );
  });

  it('should give a false accept rate that never falls as the distance grows', () => {
    for (const table of person.tables) {
      for (let distance = 0; distance < 0.5; distance += 0.00037) {
        assert.ok(
          falseAcceptRate(table, distance + 0.0001) >= falseAcceptRate(table, distance),
          `${table.references} references at ${distance}`,
        );
      }
    }
  });

  it('should put each level where its own trials put it, on enough trials to tell 0.01% apart', () => {
    for (const table of person.tables) {
      assert.ok(table.impostorTrials * SECURITY_LEVELS.high >= 100, String(table.references));
      for (const [level, rate] of Object.entries(SECURITY_LEVELS)) {
        const threshold = table.thresholds[level as keyof typeof SECURITY_LEVELS];
        const below = table.far.filter(([distance]) => distance <= threshold).at(-1);
        assert.ok(below && below[1] <= rate, `${table.references} ${level}: ${String(below)}`);
        const above = table.far.find(([distance]) => distance > threshold + 0.002);
        assert.ok(above && above[1] > rate, `${table.references} ${level}: ${String(above)}`);
      }
    }
  });

  it('should judge a person with more references by the table of the most measured', () => {
    assert.equal(personTable(person, 7), personTable(person, 3));
    assert.equal(personTable(person, 1).references, 1);
  });
});

describe("a person's operating point", () => {
  const current = new Calibration(analyser(shipped.model), config);

  it("should keep the pair default's false accept rate, tighter with each reference, never looser", () => {
    const defaults = [1, 2, 3, 8].map((n) => current.personThreshold({}, n, 0.079));
    assert.ok(defaults.every((threshold) => threshold <= 0.079));
    assert.ok(defaults[1] < defaults[0] && defaults[2] < defaults[1], String(defaults));
    assert.equal(defaults[3], defaults[2]);
    const pairRate = current.falseAcceptRate(0.079)!;
    assert.ok(current.personFalseAcceptRate(defaults[2], 3)! <= pairRate);
    assert.ok(current.personFalseAcceptRate(defaults[2] + 0.001, 3)! > pairRate);
  });

  it("should read a level off the person's table and apply a client's threshold as it is", () => {
    assert.equal(
      current.personThreshold({ security: 'high' }, 2, 0.079),
      personTable(shipped.person!, 2).thresholds.high,
    );
    assert.equal(current.personThreshold({ threshold: 0.05 }, 3, 0.079), 0.05);
  });

  it('should hold each person of a search to the target, whatever their number of references', () => {
    for (const n of [1, 2, 3]) {
      const { threshold, targetFpir } = current.personSearchThreshold({}, 1_000, n, 0.01, 0.079);
      assert.equal(targetFpir, 0.01);
      assert.ok(current.personSearchFalsePositiveRate(threshold, 1_000, n)! <= 0.01 * 1.0001);
    }
  });
});

describe('the shipped search table (the cohort rule of a search by person)', () => {
  const search = shipped.search!;
  const current = new Calibration(analyser(shipped.model), config);

  it('should be there, with a cohort, a weight and gallery sizes ascending', () => {
    assert.equal(search.rule, 'cohort');
    assert.ok(search.cohort >= 1 && search.weight > 0);
    assert.deepEqual(calibrationProblems(shipped), []);
    assert.ok(search.galleries.length >= 3);
  });

  it('should rest on enough searches per gallery size to tell FPIR 0.1% from 0', () => {
    for (const gallery of search.galleries)
      assert.ok(gallery.searches >= 3_000, String(gallery.people));
  });

  it('should give each target its threshold: the estimated FPIR there at most the target', () => {
    for (const people of [1, 5, 10, 100, 1_000, 2_000]) {
      for (const fpir of [0.001, 0.01, 0.1]) {
        const threshold = cohortScoreThreshold(search, fpir, people);
        const estimated = cohortFalsePositiveRate(search, threshold, people);
        assert.ok(estimated <= fpir * 1.0001, `${fpir} at ${people}: ${estimated}`);
        assert.ok(cohortFalsePositiveRate(search, threshold + 0.002, people) > fpir);
      }
    }
  });

  it('should name the target of a level and leave a client threshold to the distance', () => {
    const point = current.cohortSearchThreshold({ security: 'high' }, 1_000, 0.01)!;
    assert.equal(point.targetFpir, 0.001);
    assert.ok(point.threshold < current.cohortSearchThreshold({}, 1_000, 0.01)!.threshold);
    assert.equal(current.cohortSearchThreshold({ threshold: 0.05 }, 1_000, 0.01), undefined);
    const other = new Calibration(analyser('another-model+p9'), config);
    assert.equal(other.cohortSearchThreshold({}, 1_000, 0.01), undefined);
  });
});

describe('a search table read across gallery sizes', () => {
  const gallery = (people: number, at: number) => ({
    people,
    searches: 1_000,
    fpir: [
      [at - 0.01, 0.001],
      [at + 0.01, 0.1],
    ] as [number, number][],
  });
  const search: SearchCalibration = {
    rule: 'cohort',
    cohort: 5,
    weight: 0.5,
    measuredOn: 'test',
    galleries: [gallery(10, 0.03), gallery(1_000, 0.01)],
  };

  it('should read the measured sizes as measured, and between them as the rate reads', () => {
    assert.ok(Math.abs(cohortScoreThreshold(search, 0.001, 10) - 0.02) < 1e-12);
    assert.ok(Math.abs(cohortScoreThreshold(search, 0.001, 1_000) - 0.0) < 1e-12);
    // Halfway in log size, the rate is the mean of the two sizes' rates at each score.
    const halfway =
      (falseAcceptRate({ far: search.galleries[0].fpir }, 0.015) +
        falseAcceptRate({ far: search.galleries[1].fpir }, 0.015)) /
      2;
    assert.ok(Math.abs(cohortFalsePositiveRate(search, 0.015, 100) - halfway) < 1e-12);
    const between = cohortScoreThreshold(search, 0.05, 100);
    assert.ok(
      between > cohortScoreThreshold(search, 0.05, 1_000) &&
        between < cohortScoreThreshold(search, 0.05, 10),
    );
    assert.ok(cohortFalsePositiveRate(search, between, 100) <= 0.05 * 1.0001);
  });

  it('should keep the smallest size below it and extrapolate beyond the largest, tightening', () => {
    assert.equal(cohortScoreThreshold(search, 0.01, 2), cohortScoreThreshold(search, 0.01, 10));
    assert.ok(
      cohortScoreThreshold(search, 0.01, 100_000) < cohortScoreThreshold(search, 0.01, 1_000),
    );
    assert.ok(
      cohortFalsePositiveRate(search, 0.005, 100_000) >
        cohortFalsePositiveRate(search, 0.005, 1_000),
    );
    assert.ok(cohortFalsePositiveRate(search, 0.01, 1e12) <= 1);
  });

  it('should refuse a table whose sizes do not ascend or whose rate falls', () => {
    const unsound = {
      ...shipped,
      search: {
        ...search,
        galleries: [
          gallery(1_000, 0.01),
          {
            ...gallery(10, 0.03),
            fpir: [
              [0, 0.1],
              [0.1, 0.01],
            ] as [number, number][],
          },
        ],
      },
    };
    const problems = calibrationProblems(unsound);
    assert.ok(
      problems.some((problem) => problem.includes('do not ascend')),
      String(problems),
    );
    assert.ok(
      problems.some((problem) => problem.includes('the rate falls')),
      String(problems),
    );
  });
});

describe('calibrationProblems', () => {
  const far: CalibrationTable['far'] = [
    [0, 0.001],
    [0.1, 0.01],
  ];
  const table = (person: Partial<NonNullable<CalibrationTable['person']>>): CalibrationTable => ({
    ...shipped,
    person: { rule: 'centroid', measuredOn: 'test', tables: [], ...person },
  });
  const entry = (references: number, rates = far) => ({
    references,
    impostorTrials: 1e6,
    thresholds: { high: 0.01, medium: 0.02, low: 0.03 },
    far: rates,
  });

  it('should name a falling rate, a missing count and an unknown rule', () => {
    const falling = table({
      rule: 'median' as 'centroid',
      tables: [
        entry(1),
        entry(2, [
          [0, 0.01],
          [0.1, 0.001],
        ]),
      ],
    });
    assert.deepEqual(calibrationProblems(falling), [
      'person: unknown rule median',
      'person table for 2: the rate falls at 0.1',
      'person: no table for 3 references',
    ]);
  });

  it('should accept sound tables', () => {
    assert.deepEqual(calibrationProblems(table({ tables: [entry(1), entry(2), entry(3)] })), []);
  });
});
