import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { InvalidOperatingPointError } from '../common/errors.js';
import { SECURITY_LEVELS } from '../common/operating-point.js';
import {
  Calibration,
  CALIBRATION_FILE,
  falseAcceptRate,
  type CalibrationTable,
} from './calibration.js';
import type { FaceEngine } from './face-engine.service.js';

const shipped = JSON.parse(readFileSync(CALIBRATION_FILE, 'utf8')) as CalibrationTable;

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

describe('Calibration', () => {
  const calibration = (model: string) => new Calibration({ model } as FaceEngine);

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
