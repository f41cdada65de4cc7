import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judge } from './match-rule.js';

const calibration = {
  falseAcceptRate: (distance: number) => distance / 10,
  personFalseAcceptRate: (distance: number, references: number) => distance / (100 * references),
};

describe('judge', () => {
  it('should match at exactly the threshold and not just above it', () => {
    assert.equal(judge(0.4, 0.4, calibration).verified, true);
    assert.equal(judge(0.40001, 0.4, calibration).verified, false);
  });

  it("should read a pair's far from the pair table", () => {
    assert.equal(judge(0.5, 0.4, calibration).far, 0.05);
  });

  it("should read a person's far from the person table for their number of references", () => {
    assert.equal(judge(0.6, 0.4, calibration, 3).far, 0.002);
  });

  it('should leave far undefined where the model is not calibrated', () => {
    const uncalibrated = {
      falseAcceptRate: () => undefined,
      personFalseAcceptRate: () => undefined,
    };
    assert.deepEqual(judge(0.1, 0.4, uncalibrated), { verified: true, far: undefined });
  });
});
