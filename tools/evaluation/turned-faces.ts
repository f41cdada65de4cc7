// `npm run evaluate:turned`: what the pipeline makes of a face that a wrong EXIF tag lays on its side
// or upside down, and whether it ever turns a face that was upright. Each one-person photo of a set
// is enrolled as it stands (the face it is about), then analysed again turned by 90, 180 and 270
// degrees (the pixels turned, as a wrong tag shows them); a turned photo is "found upright" when
// its face is the same face (distance to the upright enrolment within the default threshold), and
// "sideways" when a face is enrolled that is not. Upright photos (`--upright SET`, e.g. lfw-dev)
// are analysed once each and count as wrongly turned when the pipeline reports a roll of more than
// 45 degrees (it analysed them in a quarter turn).
import 'reflect-metadata';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createServiceContext } from '../../src/cli/context.js';
import { cosineDistance } from '../../src/face-engine/cosine-distance.js';
import { FaceEngineModule } from '../../src/face-engine/face-engine.module.js';
import { FaceAnalyser } from '../../src/face-engine/face-analyser.js';
import { AppConfig } from '../../src/config/app-config.js';
import { liesOnItsSide, SIDEWAYS_ASPECT } from '../../src/face-engine/pipeline/detect.js';
import type { FaceSelection } from '../../src/face-engine/face-selection.js';
import { identityPhotos } from './labelled-sets.js';

const { values: args } = parseArgs({
  options: {
    faces: { type: 'string', default: '../shared/faces' },
    /** Photos to turn: a folder of photos (deepface) or of one folder per person. */
    turned: { type: 'string', default: 'deepface' },
    /** Upright photos that must never be turned (a folder of one folder per person). */
    upright: { type: 'string' },
    limit: { type: 'string' },
  },
});

const facesDir = resolve(args.faces);
const SUBJECT: FaceSelection = { kind: 'subject', policy: 'dominant' };
const context = await createServiceContext([FaceEngineModule], {
  env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
});
const engine = context.get(FaceAnalyser);
const threshold = context.get(AppConfig).env.FACE_MATCH_THRESHOLD;

/** Runs `work` over `items` on as many workers as the engine has. */
async function each<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  let done = 0;
  await Promise.all(
    Array.from({ length: engine.workers }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        await work(item);
        if (++done % 100 === 0) process.stderr.write(`  ${done} of ${items.length}\n`);
      }
    }),
  );
}

function photosIn(folder: string): string[] {
  const files = readdirSync(folder)
    .filter((file) => /\.(png|jpe?g)$/i.test(file))
    .map((file) => join(folder, file));
  const nested = identityPhotos(folder).flatMap(({ photos }) => photos);
  const limit = args.limit ? Number(args.limit) : Infinity;
  return [...files, ...nested].sort().slice(0, limit);
}

const outcomes = new Map<number, { upright: number; sideways: number; none: number }>(
  [90, 180, 270].map((angle) => [angle, { upright: 0, sideways: 0, none: 0 }]),
);
const sidewaysPhotos: string[] = [];
let enrolled = 0;
await each(args.turned ? photosIn(join(facesDir, args.turned)) : [], async (path) => {
  const bytes = readFileSync(path);
  const [face] = (await engine.analyze(bytes, SUBJECT)).faces;
  if (!face) return;
  enrolled++;
  for (const angle of [90, 180, 270]) {
    const turned = await sharp(bytes).rotate(angle).jpeg({ quality: 92 }).toBuffer();
    const [found] = (await engine.analyze(turned, SUBJECT)).faces;
    const outcome = outcomes.get(angle)!;
    if (!found) outcome.none++;
    else if (cosineDistance(face.embedding, found.embedding) <= threshold) outcome.upright++;
    else {
      outcome.sideways++;
      sidewaysPhotos.push(`${path} at ${angle}`);
    }
  }
});
if (args.turned) {
  console.log(`\n${args.turned}: ${enrolled} photos with a face, each turned three ways`);
  console.log('| turn | found upright | enrolled sideways | no face |');
  console.log('| ---- | ------------- | ----------------- | ------- |');
  for (const [angle, { upright, sideways, none }] of outcomes) {
    console.log(`| ${angle}° | ${upright} | ${sideways} | ${none} |`);
  }
  if (process.env.VERBOSE) console.log(sidewaysPhotos.join('\n'));
}

if (args.upright) {
  let analysed = 0;
  let searched = 0;
  const turnedWrongly: string[] = [];
  await each(photosIn(join(facesDir, args.upright)), async (path) => {
    const { faces } = await engine.analyze(readFileSync(path), SUBJECT);
    analysed++;
    if (faces.some(({ quality }) => Math.abs(quality.roll) > 45)) turnedWrongly.push(path);
    // A face left as it stood with a box this wide had the side turns tried, in vain.
    else if (faces.some(({ box }) => liesOnItsSide(box))) searched++;
  });
  console.log(
    `\n${args.upright}: ${analysed} upright photos, ${turnedWrongly.length} turned, ` +
      `${searched} searched in the side turns in vain (their face box wider than ${SIDEWAYS_ASPECT} x its height)`,
  );
  for (const path of turnedWrongly) console.log(`  ${path}`);
}
await context.close();
