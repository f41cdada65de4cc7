import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { createServiceContext } from '../../src/cli/context.js';
import { DatabaseModule } from '../../src/database/database.module.js';
import { isMysql, isSqlite } from '../../src/store/dialect.js';
import { ReferenceStoreModule } from '../../src/store/reference-store.module.js';
import { ReferenceStore } from '../../src/store/reference-store.js';

/** Remembers every statement TypeORM sends, with its parameters. */
class QueryRecorder implements TypeOrmLogger {
  readonly queries: { sql: string; parameters: unknown[] }[] = [];
  logQuery(sql: string, parameters?: unknown[]): void {
    this.queries.push({ sql, parameters: parameters ?? [] });
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export interface QueryPlan {
  /** Which store call issued the statement. */
  call: 'findEmbedding' | 'list';
  sql: string;
  /** EXPLAIN on MySQL/MariaDB, EXPLAIN QUERY PLAN on SQLite, as the database returns it. */
  plan: Record<string, unknown>[];
}

/**
 * The service's database and reference store, from the service's own modules, beside the running
 * service: to seed many references quickly and to show how the store's own queries are executed.
 */
export class StoreAccess {
  private constructor(
    private readonly context: INestApplicationContext,
    private readonly dataSource: DataSource,
    private readonly recorder: QueryRecorder,
  ) {}

  /** `DATABASE_URL` unset: the SQLite file in `DATA_DIR`, as the service resolves it. */
  static async open(settings: { DATABASE_URL?: string; DATA_DIR: string }) {
    const context = await createServiceContext([DatabaseModule, ReferenceStoreModule], {
      env: {
        DATABASE_URL: settings.DATABASE_URL ?? '',
        DATA_DIR: settings.DATA_DIR,
        // The service, started before or after, migrates its database itself.
        DB_RUN_MIGRATIONS: 'false',
        LOG_LEVEL: 'warn',
      },
    });
    const dataSource = context.get(DataSource);
    // Every statement the store sends is recorded, to be explained.
    const recorder = new QueryRecorder();
    dataSource.logger = recorder;
    if (isSqlite(dataSource)) {
      // The service holds the same file open; wait for its write lock instead of failing.
      await dataSource.query('PRAGMA busy_timeout = 10000');
    }
    return new StoreAccess(context, dataSource, recorder);
  }

  get mysql(): boolean {
    return isMysql(this.dataSource);
  }

  async count(): Promise<number> {
    const [row] = await this.dataSource.query<
      {
        n: number | string;
      }[]
    >('SELECT COUNT(*) AS n FROM face_references');
    return Number(row.n);
  }

  /**
   * Brings the store to exactly `total` references: removes the newest beyond it (uploads made
   * under load), or adds copies of an existing one (its real embedding, box, model and image
   * bytes) under new keys: a large store without thousands of inferences. Copies the smallest
   * stored image. Returns how many it added.
   */
  async seedTo(total: number): Promise<number> {
    const missing = total - (await this.count());
    if (missing < 0) await this.removeNewest(-missing);
    if (missing <= 0) return 0;
    const [template] = await this.dataSource.query<{ id: number }[]>(
      'SELECT id FROM face_references ORDER BY size_bytes ASC, id ASC LIMIT 1',
    );
    if (!template) throw new Error('Nothing to copy: enrol at least one reference first');
    await this.dataSource.transaction(async (manager) => {
      for (let index = 0; index < missing; index++) {
        await manager.query(
          'INSERT INTO face_references (ref_key, filename, content_type, size_bytes, embedding, ' +
            'box_x, box_y, box_width, box_height, model, created_at) ' +
            'SELECT ?, filename, content_type, size_bytes, embedding, box_x, box_y, box_width, ' +
            'box_height, model, created_at FROM face_references WHERE id = ?',
          [randomUUID().replaceAll('-', ''), template.id],
        );
      }
      // Every copy gets the template's image row too, as an upload would have stored it.
      const [image] = await manager.query<{ bytes: Buffer }[]>(
        'SELECT bytes FROM reference_images WHERE reference_id = ?',
        [template.id],
      );
      const orphans = await manager.query<{ id: number }[]>(
        'SELECT f.id AS id FROM face_references f LEFT JOIN reference_images i ' +
          'ON i.reference_id = f.id WHERE i.reference_id IS NULL',
      );
      for (const { id } of orphans) {
        await manager.query('INSERT INTO reference_images (reference_id, bytes) VALUES (?, ?)', [
          id,
          image.bytes,
        ]);
      }
    });
    return missing;
  }

  private async removeNewest(count: number): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const rows = await manager.query<{ id: number }[]>(
        'SELECT id FROM face_references ORDER BY id DESC LIMIT ?',
        [count],
      );
      for (const { id } of rows) {
        await manager.query('DELETE FROM reference_images WHERE reference_id = ?', [id]);
        await manager.query('DELETE FROM face_references WHERE id = ?', [id]);
      }
    });
  }

  /** Removes every reference (the bench's own database, at the end of a run). */
  async clear(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query('DELETE FROM reference_images');
      await manager.query('DELETE FROM face_references');
    });
  }

  /**
   * The statements the service's own store (`TypeOrmReferenceStore`) sends for a compare's lookup
   * and for the list, each with the database's plan for it.
   */
  async queryPlans(key: string): Promise<QueryPlan[]> {
    const store = this.context.get(ReferenceStore);
    const plans: QueryPlan[] = [];
    for (const call of ['findEmbedding', 'list'] as const) {
      this.recorder.queries.length = 0;
      if (call === 'findEmbedding') await store.findEmbedding('default', key);
      else await store.list('default', { offset: 0 });
      const selects = this.recorder.queries.filter(({ sql }) => /^\s*SELECT/i.test(sql));
      for (const { sql, parameters } of selects) {
        const explain = this.mysql ? 'EXPLAIN' : 'EXPLAIN QUERY PLAN';
        const plan = await this.dataSource.query<Record<string, unknown>[]>(
          `${explain} ${sql}`,
          parameters,
        );
        plans.push({ call, sql, plan });
      }
    }
    return plans;
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
