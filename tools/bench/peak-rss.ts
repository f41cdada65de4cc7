// What analysing photos costs in memory: for each photo named, on a fresh engine whose workers
// have warmed up as the service's do, the process's peak RSS above that resting level while
// `--at-once` copies of the photo are analysed together by `--workers` workers.
// `npm run build:tools && node build/tools/bench/peak-rss.js [--workers 2] [--at-once 6] FILES`
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { createServiceContext } from '../../src/cli/context.js';
import { FaceEngineModule } from '../../src/face-engine/face-engine.module.js';
import { FaceAnalyser } from '../../src/face-engine/face-analyser.js';

const { values: args, positionals: files } = parseArgs({
  allowPositionals: true,
  options: {
    workers: { type: 'string', default: '2' },
    'at-once': { type: 'string', default: '6' },
  },
});
const atOnce = Number(args['at-once']);

const MB = 1e6;
for (const file of files) {
  // A fresh engine per photo, so that one photo's high-water mark does not hide the next's.
  const context = await createServiceContext([FaceEngineModule], {
    env: {
      FACE_WORKERS: args.workers ?? '2',
      FACE_QUEUE_LIMIT: String(atOnce),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
  });
  try {
    const engine = context.get(FaceAnalyser);
    const bytes = readFileSync(file);
    const resting = process.memoryUsage().rss;
    let peak = resting;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    await Promise.all(
      Array.from({ length: atOnce }, () => engine.analyze(bytes, { kind: 'largest', max: 10 })),
    );
    clearInterval(sampler);
    console.log(
      `${basename(file)}: ${atOnce} at once on ${args.workers} workers, RSS ` +
        `${Math.round(resting / MB)} MB resting, +${Math.round((peak - resting) / MB)} MB at peak`,
    );
  } finally {
    await context.close();
  }
}
