/**
 * `npm run bench:index`: how long /identify's search takes per face, and how long the index takes
 * to load, by number of references. The search runs on the real EmbeddingMatrix; the load reads
 * references seeded into a fresh database through the service's change feed, as the index does.
 *
 *   npm run bench:index -- [--sizes 1000,10000,100000] [--database mysql://root@127.0.0.1/test]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { createServiceContext } from '../../src/cli/context.js';
import { DatabaseModule } from '../../src/database/database.module.js';
import { EmbeddingMatrix } from '../../src/identification/embedding-matrix.js';
import { ReferenceStoreModule } from '../../src/store/reference-store.module.js';
import { ReferenceChangeFeed } from '../../src/store/reference-change-feed.js';

const DIMENSION = 128;
const QUERIES = 41;

function randomEmbedding(): Float32Array {
  return Float32Array.from({ length: DIMENSION }, () => Math.random() * 2 - 1);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function searchMs(size: number): { median: number; p95: number } {
  const matrix = new EmbeddingMatrix(DIMENSION, size);
  for (let id = 0; id < size; id++) {
    matrix.add({ id, key: `k${id}`, filename: 'f.jpg', subject: null }, randomEmbedding());
  }
  for (let warm = 0; warm < 5; warm++) matrix.nearest(randomEmbedding(), 5);
  const times = Array.from({ length: QUERIES }, () => {
    const query = randomEmbedding();
    const started = performance.now();
    matrix.nearest(query, 5);
    return performance.now() - started;
  });
  const sorted = [...times].sort((a, b) => a - b);
  return { median: median(times), p95: sorted[Math.ceil(sorted.length * 0.95) - 1] };
}

/** The index's start-up read of `size` references, in a fresh database on `serverUrl`. */
async function loadMs(serverUrl: string, size: number): Promise<number> {
  const server = new URL(serverUrl);
  const name = `facegate_bench_${randomBytes(4).toString('hex')}`;
  const admin = await createConnection({ uri: serverUrl });
  await admin.query(`CREATE DATABASE \`${name}\``);
  const url = new URL(server);
  url.pathname = `/${name}`;
  try {
    const context = await createServiceContext([DatabaseModule, ReferenceStoreModule], {
      env: { DATABASE_URL: url.toString(), DB_RUN_MIGRATIONS: 'true', LOG_LEVEL: 'warn' },
    });
    try {
      return await timeIndexLoad(context.get(DataSource), context.get(ReferenceChangeFeed), size);
    } finally {
      await context.close();
    }
  } finally {
    await admin.query(`DROP DATABASE \`${name}\``);
    await admin.end();
  }
}

/** Seeds `size` references, then times the index's start-up read of them. */
async function timeIndexLoad(
  dataSource: DataSource,
  feed: ReferenceChangeFeed,
  size: number,
): Promise<number> {
  const now = new Date();
  for (let start = 0; start < size; start += 2000) {
    const rows = Array.from({ length: Math.min(2000, size - start) }, (_, index) => [
      randomBytes(16).toString('hex'),
      `${start + index}.jpg`,
      null,
      'image/jpeg',
      1,
      Buffer.from(randomEmbedding().buffer),
      0,
      0,
      1,
      1,
      'bench-model',
      now,
    ]);
    await dataSource.query(
      'INSERT INTO face_references (ref_key, filename, subject, content_type, size_bytes, ' +
        'embedding, box_x, box_y, box_width, box_height, model, created_at) VALUES ' +
        rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', '),
      rows.flat(),
    );
  }
  const started = performance.now();
  const { references } = await feed.snapshot();
  const matrix = new EmbeddingMatrix(DIMENSION, references.length);
  for (const reference of references) matrix.add(reference, reference.embedding);
  return performance.now() - started;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1000,10000,100000' },
      database: { type: 'string' },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  console.log(`Identification index, ${DIMENSION}-d embeddings, limit 5, one thread`);
  console.log('references | search median ms | search p95 ms | load from database ms');
  for (const size of sizes) {
    const search = searchMs(size);
    const load = values.database ? (await loadMs(values.database, size)).toFixed(0) : '-';
    console.log(
      `${String(size).padStart(10)} | ${search.median.toFixed(2).padStart(16)} | ` +
        `${search.p95.toFixed(2).padStart(13)} | ${load}`,
    );
  }
}

await main();
