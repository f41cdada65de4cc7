import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { FaceModelSetting } from '../../src/config/environment.js';
import { calibrationFile, type CalibrationTable } from '../../src/face-engine/calibration.js';

/**
 * Writes the shipped calibration of `model` (models/calibration.json for dlib) with one step of
 * each false accept rate table per line: a reviewable diff when the pipeline moves it.
 */
export function writeCalibration(calibration: CalibrationTable, model: FaceModelSetting): void {
  const json = JSON.stringify(calibration, null, 2).replace(
    /\[\n\s+(-?[\d.e+-]+),\n\s+(-?[\d.e+-]+)\n\s+\]/g,
    '[$1,$2]',
  );
  writeFileSync(calibrationFile(model), `${json}\n`);
}

/** The shipped calibration of `model`, if there is one yet. */
export function readCalibration(model: FaceModelSetting): CalibrationTable | undefined {
  const file = calibrationFile(model);
  return existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as CalibrationTable)
    : undefined;
}

/**
 * The analysis cache of `model`: `--cache` as given for dlib, the model's name before `.json` for
 * the others, so that switching FACE_MODEL does not throw away another model's analyses.
 */
export function modelCacheFile(cache: string, model: FaceModelSetting): string {
  return model === 'dlib' ? cache : cache.replace(/(\.json)?$/, `.${model}.json`);
}
