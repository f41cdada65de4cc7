// Transactions from concurrent requests on both databases the service runs on: the embedded
// SQLite default (one connection) and MariaDB (a pool). Twenty uploads and deletes at once, as
// the HTTP layer issues them, without inference in between.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { ImageCipher } from '../src/store/image-cipher.js';
import { ReencryptService } from '../src/store/reencrypt.service.js';
import { TypeOrmReferenceStore } from '../src/store/typeorm/typeorm-reference.store.js';
import { TypeOrmSealedImages } from '../src/store/typeorm/typeorm-sealed-images.js';
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
        Array.from({ length: 20 }, (_, index) => store.insert('default', reference(index))),
      );
      const failed = results.filter((result) => result.status === 'rejected');
      assert.deepEqual(failed, []);
      assert.equal((await store.list('default', { offset: 0 })).total, 20);
      const stored = await store.findEmbedding('default', 'concurrent-7');
      assert.equal(stored?.embedding[0], 7 / 128);
    });

    it('should apply deletes and inserts racing each other, each exactly once', async () => {
      const results = await Promise.allSettled([
        ...Array.from({ length: 10 }, (_, index) => store.delete('default', `concurrent-${index}`)),
        ...Array.from({ length: 10 }, (_, index) => store.insert('default', reference(20 + index))),
      ]);
      assert.deepEqual(
        results.filter((result) => result.status === 'rejected'),
        [],
      );
      const keys = (await store.list('default', { offset: 0 })).items
        .map((item) => item.key)
        .sort();
      const expected = Array.from({ length: 20 }, (_, index) => `concurrent-${10 + index}`).sort();
      assert.deepEqual(keys, expected);
    });

    // Last: the images are sealed afterwards, which the store above (no key) cannot read.
    it('should re-seal every image while inserts and deletes run beside it, none of them failing', async () => {
      const cipher = new ImageCipher({ current: randomBytes(32), previous: [] });
      const reencrypt = new ReencryptService(new TypeOrmSealedImages(dataSource), cipher);
      const [run, ...writes] = await Promise.allSettled([
        reencrypt.reencrypt({ batchSize: 3 }),
        ...Array.from({ length: 10 }, (_, index) =>
          store.delete('default', `concurrent-${10 + index}`),
        ),
        ...Array.from({ length: 10 }, (_, index) => store.insert('default', reference(40 + index))),
      ]);
      assert.deepEqual(
        [run, ...writes].filter((result) => result.status === 'rejected'),
        [],
      );
      assert.equal(run.status === 'fulfilled' && run.value.failed, 0);
      // Whatever the first run met or missed, a second finds every remaining image sealed.
      const again = await reencrypt.reencrypt();
      assert.deepEqual(
        { scanned: again.scanned, current: again.current, failed: again.failed },
        { scanned: 20, current: 20, failed: 0 },
      );
    });
  });
}
