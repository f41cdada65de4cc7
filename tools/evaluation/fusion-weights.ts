// `npm run fusion-weights`: how FACE_MODEL=fusion should weigh its two models, from the analyses
// `FACE_MODEL=fusion npm run calibrate` cached. A fused embedding holds both unit embeddings, each
// times its weight (face-models.ts), so each model's own distance is recovered exactly and any
// weighting can be replayed: the fused distance is `a * d_dlib + (1 - a) * d_mobilefacenet`. Per
// set, all pairs of enrolled faces (the service's enrolment rule): the spread of each model's
// different-person distances (z-normalisation weighs each by the inverse), and per weight `a` the
// true accept rate at false accept rates 1e-3 and 1e-4.
import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FUSION_WEIGHTS } from '../../src/face-engine/face-models.js';
import type { FaceBox } from '../../src/face-engine/face-engine.types.js';
import { subjectFace } from '../../src/face-engine/face-selection-rule.js';
import { table } from '../bench/table.js';
import { modelCacheFile } from './calibration-file.js';
import { identityPhotos, REAL_WORLD_SECOND_SPELLINGS } from './labelled-sets.js';

const { values: args } = parseArgs({
  options: {
    faces: { type: 'string', default: '../shared/faces' },
    cache: { type: 'string', default: 'data/calibration-cache.json' },
  },
});

interface CachedPhoto {
  width: number;
  height: number;
  faces: { box: FaceBox; score: number; embedding: number[] }[];
}

const facesDir = resolve(args.faces);
const cacheFile = resolve(modelCacheFile(args.cache, 'fusion'));
if (!existsSync(cacheFile)) {
  throw new Error(`${cacheFile} is missing: FACE_MODEL=fusion npm run calibrate builds it`);
}
const cache = (
  JSON.parse(readFileSync(cacheFile, 'utf8')) as { images: Record<string, CachedPhoto> }
).images;

/** Each enrolled face's two unit embeddings, and whose it is. */
interface Face {
  person: string;
  dlib: Float32Array;
  mobileFaceNet: Float32Array;
}

function faces(set: string): Face[] {
  return identityPhotos(join(facesDir, set)).flatMap(({ person, photos }) =>
    photos.flatMap((path) => {
      const photo = cache[relative(facesDir, path)];
      const face = photo && subjectFace(photo.faces, photo, 'dominant');
      if (!face) return [];
      const { embedding } = face;
      return [
        {
          person: REAL_WORLD_SECOND_SPELLINGS.get(person) ?? person,
          dlib: Float32Array.from(embedding.slice(0, 128), (v) => v / FUSION_WEIGHTS.dlib),
          mobileFaceNet: Float32Array.from(
            embedding.slice(128),
            (v) => v / FUSION_WEIGHTS.mobilefacenet,
          ),
        },
      ];
    }),
  );
}

const dot = (a: Float32Array, b: Float32Array) => {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += a[index] * b[index];
  return sum;
};

const WEIGHTS = [0, 0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 1];
const RATES = [1e-3, 1e-4];

const rows: Record<string, string>[] = [];
for (const set of ['lfw-dev', 'orl', 'people']) {
  const enrolled = faces(set);
  const genuine: [number, number][] = [];
  const impostor = { dlib: [] as number[], mobileFaceNet: [] as number[] };
  for (let i = 0; i < enrolled.length; i++) {
    for (let j = i + 1; j < enrolled.length; j++) {
      const d1 = 1 - dot(enrolled[i].dlib, enrolled[j].dlib);
      const d2 = 1 - dot(enrolled[i].mobileFaceNet, enrolled[j].mobileFaceNet);
      if (enrolled[i].person === enrolled[j].person) genuine.push([d1, d2]);
      else {
        impostor.dlib.push(d1);
        impostor.mobileFaceNet.push(d2);
      }
    }
  }
  const spread = (values: number[]) => {
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    return Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length);
  };
  const [sd1, sd2] = [spread(impostor.dlib), spread(impostor.mobileFaceNet)];
  const zWeight = 1 / sd1 / (1 / sd1 + 1 / sd2);
  console.log(
    `${set}: ${enrolled.length} faces, ${genuine.length} same-person and ${impostor.dlib.length} ` +
      `different-person pairs; spread of different-person distances dlib ${sd1.toFixed(4)}, ` +
      `MobileFaceNet ${sd2.toFixed(4)}: z-normalisation weighs dlib ${zWeight.toFixed(3)}`,
  );
  for (const weight of [...WEIGHTS, Number(zWeight.toFixed(3))].sort((a, b) => a - b)) {
    const fused = (d1: number, d2: number) => weight * d1 + (1 - weight) * d2;
    const impostors = Float64Array.from(impostor.dlib, (d1, index) =>
      fused(d1, impostor.mobileFaceNet[index]),
    ).sort();
    const cells = RATES.map((rate) => {
      const allowed = Math.floor(rate * impostors.length);
      const threshold = impostors[allowed] - 1e-9;
      const accepted = genuine.filter(([d1, d2]) => fused(d1, d2) <= threshold).length;
      return `${((accepted / genuine.length) * 100).toFixed(2)}%`;
    });
    const current = Math.abs(weight - FUSION_WEIGHTS.dlib ** 2) < 5e-4 ? ' (FUSION_WEIGHTS)' : '';
    const label =
      weight === 0 ? 'MobileFaceNet alone' : weight === 1 ? 'dlib alone' : `${weight}${current}`;
    rows.push({
      set,
      'weight of dlib': label,
      'TAR at FAR 1e-3': cells[0],
      'TAR at FAR 1e-4': cells[1],
    });
  }
}
console.log(`\n${table(rows)}`);
