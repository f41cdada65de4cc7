import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { StoreAccess, type QueryPlan } from './support/store-access.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { newReference, storeOn } from './support/store.js';

/**
 * What the store asks MariaDB for a compare's lookup and for the list, with 2,000 references: the
 * statements TypeORM really sends (recorded), and MariaDB's EXPLAIN of each.
 */
describe('reference store queries on MariaDB', () => {
  let database: TestDatabase;
  let access: StoreAccess;
  let plans: QueryPlan[];
  let uniqueKeyIndex: string;
  const key = 'a'.repeat(32);

  before(async () => {
    database = await createTestDatabase();
    const settings = { DATABASE_URL: database.url, DATA_DIR: '', DB_RUN_MIGRATIONS: true };
    const setup = new DataSource(dataSourceOptions(settings));
    await setup.initialize();
    await storeOn(setup).insert('default', newReference(key, 200_000));
    const [index] = await setup.query<{ INDEX_NAME: string }[]>(
      'SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ' +
        "AND TABLE_NAME = 'face_references' AND COLUMN_NAME = 'ref_key' AND NON_UNIQUE = 0",
    );
    uniqueKeyIndex = index.INDEX_NAME;
    await setup.destroy();
    access = await StoreAccess.open(settings);
    await access.seedTo(2000);
    plans = await access.queryPlans(key);
  });

  after(async () => {
    await access?.close();
    await database?.drop();
  });

  it('should seed copies with their image rows', async () => {
    assert.equal(await access.count(), 2000);
  });

  it("should read compare's embedding by the unique key, one row, no image table", () => {
    const lookups = plans.filter((plan) => plan.call === 'findEmbedding');
    assert.equal(lookups.length, 1);
    const [{ sql, plan }] = lookups;
    assert.doesNotMatch(sql, /reference_images|bytes/);
    assert.equal(plan.length, 1, JSON.stringify(plan));
    const [row] = plan;
    assert.equal(row.table, 'ReferenceEntity');
    assert.equal(row.type, 'const', JSON.stringify(row));
    assert.equal(row.key, uniqueKeyIndex);
    assert.equal(Number(row.rows), 1);
  });

  it('should list from the metadata table alone, without reading image bytes', () => {
    const lists = plans.filter((plan) => plan.call === 'list');
    // The page and the total count.
    assert.equal(lists.length, 2);
    for (const { sql, plan } of lists) {
      assert.doesNotMatch(sql, /reference_images|bytes|embedding/);
      // One row per table read: the metadata table under the query builder's alias, nothing else.
      assert.equal(plan.length, 1, JSON.stringify(plan));
      assert.doesNotMatch(String(plan[0].table), /image/i);
    }
  });
});
