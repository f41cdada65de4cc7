// Transactions from concurrent requests on both databases the service runs on: the embedded
// SQLite default (one connection) and MariaDB (a pool). Twenty uploads and deletes at once, as
// the HTTP layer issues them, without inference in between.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { TypeOrmReferenceStore } from '../src/store/typeorm/typeorm-reference.store.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { newReference, storeOn } from './support/store.js';

const reference = (index: number) => newReference(`concurrent-${index}`, 50_000, index);

for (const database of ['SQLite', 'MariaDB'] as const) {
  describe(`store transactions at once on ${database}`, () => {
    let dataSource: DataSource;
    let store: TypeOrmReferenceStore;
    let dataDir: string | undefined;
    let server: TestDatabase | undefined;

    before(async () => {
      if (database === 'SQLite') dataDir = mkdtempSync(join(tmpdir(), 'facegate-tx-'));
      else server = await createTestDatabase();
      dataSource = new DataSource(
        dataSourceOptions({
          DATABASE_URL: server?.url,
          DATA_DIR: dataDir ?? '',
          DB_RUN_MIGRATIONS: true,
        }),
      );
      await dataSource.initialize();
      store = storeOn(dataSource);
    });

    after(async () => {
      await dataSource?.destroy();
      await server?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('should commit every one of twenty inserts started together', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, index) => store.insert(reference(index))),
      );
      const failed = results.filter((result) => result.status === 'rejected');
      assert.deepEqual(failed, []);
      assert.equal((await store.list({ offset: 0 })).total, 20);
      const stored = await store.findEmbedding('concurrent-7');
      assert.equal(stored?.embedding[0], 7 / 128);
    });

    it('should apply deletes and inserts racing each other, each exactly once', async () => {
      const results = await Promise.allSettled([
        ...Array.from({ length: 10 }, (_, index) => store.delete(`concurrent-${index}`)),
        ...Array.from({ length: 10 }, (_, index) => store.insert(reference(20 + index))),
      ]);
      assert.deepEqual(
        results.filter((result) => result.status === 'rejected'),
        [],
      );
      const keys = (await store.list({ offset: 0 })).items.map((item) => item.key).sort();
      const expected = Array.from({ length: 20 }, (_, index) => `concurrent-${10 + index}`).sort();
      assert.deepEqual(keys, expected);
    });
  });
}
