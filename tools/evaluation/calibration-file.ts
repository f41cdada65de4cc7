import { writeFileSync } from 'node:fs';
import { CALIBRATION_FILE, type CalibrationTable } from '../../src/face-engine/calibration.js';

/**
 * Writes models/calibration.json with one step of each false accept rate table per line: a
 * reviewable diff when the pipeline moves it.
 */
export function writeCalibration(calibration: CalibrationTable): void {
  const json = JSON.stringify(calibration, null, 2).replace(
    /\[\n\s+(-?[\d.e+-]+),\n\s+(-?[\d.e+-]+)\n\s+\]/g,
    '[$1,$2]',
  );
  writeFileSync(CALIBRATION_FILE, `${json}\n`);
}
