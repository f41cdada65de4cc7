// The analyses `npm run calibrate` caches (data/calibration-cache.json), read back by the tools
// that replay the labelled sets without the models: each photo's faces and embeddings.
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { FaceModelSetting } from '../../src/config/environment.js';
import type { CalibrationTable } from '../../src/face-engine/calibration.js';
import type { FaceBox } from '../../src/face-engine/face-engine.types.js';
import type { MultiFacePolicy } from '../../src/face-engine/face-selection.js';
import { centroid } from '../../src/face-engine/person-rule.js';
import { subjectFace } from '../../src/face-engine/pipeline/selection.js';
import { modelCacheFile } from './calibration-file.js';

export interface CachedPhoto {
  width: number;
  height: number;
  faces: { box: FaceBox; score: number; embedding: number[] }[];
}

/**
 * The cached analyses of `model`, refused when they are of another model than the `shipped`
 * table describes (the cache is keyed by model and detector).
 */
export function readCachedAnalyses(
  cache: string,
  model: FaceModelSetting,
  shipped: CalibrationTable,
): Record<string, CachedPhoto> {
  const cacheFile = resolve(modelCacheFile(cache, model));
  if (!existsSync(cacheFile)) {
    throw new Error(`${cacheFile} is missing: npm run calibrate builds it`);
  }
  const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as {
    model: string;
    images: Record<string, CachedPhoto>;
  };
  if (!cached.model.startsWith(`${shipped.model} `)) {
    throw new Error(`${cacheFile} holds ${cached.model}, the shipped table ${shipped.model}`);
  }
  return cached.images;
}

/**
 * The unit-length embedding each photo under `facesDir` enrols, by the service's enrolment rule
 * (`policy`), or nothing when the photo is refused.
 */
export function enrolledUnits(
  images: Record<string, CachedPhoto>,
  facesDir: string,
  policy: MultiFacePolicy,
): (path: string) => Float64Array | undefined {
  return (path) => {
    const photo = images[relative(facesDir, path)];
    if (!photo) throw new Error(`${path} is not in the cache: run npm run calibrate`);
    const face = subjectFace(photo.faces, photo, policy);
    return face && centroid([face.embedding]);
  };
}
