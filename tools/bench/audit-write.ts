/**
 * `npm run bench:audit`: what the audit trail adds to a request: one entry appended in a
 * transaction of its own, as a read's is (a write's joins the write's transaction instead), on
 * SQLite and, with --database, on MySQL/MariaDB; p50 and p99 in ms.
 *
 *   npm run bench:audit -- [--count 500] [--database mysql://root@127.0.0.1/facegate_bench]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AuditStore, type AuditEntry } from '../../src/audit/audit-store.js';
import { AuditStoreModule } from '../../src/audit/audit-store.module.js';
import { createServiceContext } from '../../src/cli/context.js';
import { DatabaseModule } from '../../src/database/database.module.js';

const WARM_UP = 50;

const entry = (): AuditEntry => ({
  time: new Date(),
  key: { id: 'abcdef012345', name: 'api-keys[0]' },
  collection: 'default',
  action: 'compare',
  referenceKeys: [randomUUID().replaceAll('-', '')],
  subjects: [],
  outcome: 200,
  requestId: randomUUID(),
  clientAddress: '127.0.0.1',
});

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function measure(label: string, env: Record<string, string>, count: number): Promise<void> {
  const context = await createServiceContext([DatabaseModule, AuditStoreModule], {
    env: { ...env, DB_RUN_MIGRATIONS: 'true', LOG_LEVEL: 'warn' },
  });
  try {
    const store = context.get(AuditStore);
    for (let i = 0; i < WARM_UP; i++) await store.append(entry());
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      await store.append(entry());
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    console.log(
      `${label}: audit entry p50 ${percentile(times, 50).toFixed(2)} ms, ` +
        `p99 ${percentile(times, 99).toFixed(2)} ms (${count} appends)`,
    );
  } finally {
    await context.close();
  }
}

const { values } = parseArgs({
  options: { count: { type: 'string', default: '500' }, database: { type: 'string' } },
});
const count = Number(values.count);
await measure('SQLite', { DATA_DIR: mkdtempSync(join(tmpdir(), 'facegate-bench-audit-')) }, count);
if (values.database) await measure('MySQL/MariaDB', { DATABASE_URL: values.database }, count);
