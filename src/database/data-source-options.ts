import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { CreateReferences1764288000000 } from '../../migrations/1764288000000-CreateReferences.js';
import { SubjectsAndChanges1764460800000 } from '../../migrations/1764460800000-SubjectsAndChanges.js';
import { EnrolmentQuality1764892800000 } from '../../migrations/1764892800000-EnrolmentQuality.js';
import { SubjectMetadata1765000000000 } from '../../migrations/1765000000000-SubjectMetadata.js';
import { IdempotencyKeys1765100000000 } from '../../migrations/1765100000000-IdempotencyKeys.js';
import { ImageDigest1765200000000 } from '../../migrations/1765200000000-ImageDigest.js';
import { AuditLog1765300000000 } from '../../migrations/1765300000000-AuditLog.js';
import { Collections1765400000000 } from '../../migrations/1765400000000-Collections.js';
import { ApiKeys1765500000000 } from '../../migrations/1765500000000-ApiKeys.js';
import { AuditEntryEntity } from '../audit/audit-entry.entity.js';
import type { EnvironmentVariables } from '../config/environment.js';
import { ApiKeyEntity } from '../keys/api-key.entity.js';
import { IdempotencyKeyEntity } from '../idempotency/idempotency-key.entity.js';
import { CollectionEntity } from '../store/typeorm/collection.entity.js';
import { ReferenceChangeEntity } from '../store/typeorm/reference-change.entity.js';
import { ReferenceImageEntity } from '../store/typeorm/reference-image.entity.js';
import { ReferenceEntity } from '../store/typeorm/reference.entity.js';
import { SubjectMetadataEntity } from '../store/typeorm/subject-metadata.entity.js';
import { MYSQL_DRIVER, SQLITE_DRIVER } from '../store/dialect.js';

export const ENTITIES = [
  CollectionEntity,
  ReferenceEntity,
  ReferenceImageEntity,
  ReferenceChangeEntity,
  SubjectMetadataEntity,
  IdempotencyKeyEntity,
  AuditEntryEntity,
  ApiKeyEntity,
];
export const MIGRATIONS = [
  CreateReferences1764288000000,
  SubjectsAndChanges1764460800000,
  EnrolmentQuality1764892800000,
  SubjectMetadata1765000000000,
  IdempotencyKeys1765100000000,
  ImageDigest1765200000000,
  AuditLog1765300000000,
  Collections1765400000000,
  ApiKeys1765500000000,
];

export type DatabaseSettings = Pick<
  EnvironmentVariables,
  'DATABASE_URL' | 'DATA_DIR' | 'DB_RUN_MIGRATIONS'
>;

/** MySQL/MariaDB when DATABASE_URL is set, otherwise an SQLite file under DATA_DIR. */
export function dataSourceOptions(env: DatabaseSettings): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: env.DB_RUN_MIGRATIONS,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    // Not 'error' or 'query': TypeORM would log the parameters, i.e. image bytes and embeddings.
    logging: ['warn', 'migration'] as ('warn' | 'migration')[],
  };
  if (env.DATABASE_URL) {
    return {
      ...common,
      type: MYSQL_DRIVER,
      url: env.DATABASE_URL,
      charset: 'utf8mb4',
      timezone: 'Z',
      connectTimeout: 10_000,
      poolSize: 10,
    };
  }
  mkdirSync(env.DATA_DIR, { recursive: true });
  return {
    ...common,
    type: SQLITE_DRIVER,
    database: join(env.DATA_DIR, 'facegate.sqlite'),
  };
}

/** Where the data lives, for the start-up log; never includes a password. */
export function describeDatabase(env: DatabaseSettings): string {
  if (!env.DATABASE_URL) return `SQLite ${join(env.DATA_DIR, 'facegate.sqlite')}`;
  const url = new URL(env.DATABASE_URL);
  return `MySQL ${url.hostname}:${url.port || '3306'}${url.pathname}`;
}
