// `npm run cli`: the commands as an operator runs them, each in a process of its own.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { projectRoot } from '../src/common/project-root.js';
import { cli } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

describe('the command line', () => {
  let database: TestDatabase;
  let sql: Connection;

  before(async () => {
    database = await createTestDatabase();
    sql = await createConnection({ uri: database.url });
  });

  after(async () => {
    await sql?.end();
    await database?.drop();
  });

  const tables = async (): Promise<string[]> => {
    const [rows] = await sql.query<RowDataPacket[]>('SHOW TABLES');
    return rows.map((row) => String(Object.values(row)[0])).sort();
  };

  it('should run the pending migrations once, whatever DB_RUN_MIGRATIONS says, and revert the last three', async () => {
    const env = { DATABASE_URL: database.url, DB_RUN_MIGRATIONS: 'false' };
    const first = cli(['migrate'], env);
    assert.equal(first.status, 0, first.stderr + first.stdout);
    assert.match(
      first.stdout,
      /Applied CreateReferences\d+, SubjectsAndChanges\d+, EnrolmentQuality\d+, SubjectMetadata\d+, IdempotencyKeys\d+, ImageDigest\d+, AuditLog\d+, Collections\d+, ApiKeys\d+/,
    );
    assert.deepEqual(await tables(), [
      'api_keys',
      'audit_log',
      'collections',
      'face_references',
      'idempotency_keys',
      'migrations',
      'reference_changes',
      'reference_images',
      'subject_metadata',
    ]);

    const again = cli(['migrate'], env);
    assert.equal(again.status, 0, again.stderr + again.stdout);
    assert.match(again.stdout, /No pending migrations/);

    const keys = cli(['migrate', '--revert'], env);
    assert.equal(keys.status, 0, keys.stderr + keys.stdout);
    assert.match(keys.stdout, /Reverted ApiKeys\d+/);
    assert.ok(!(await tables()).includes('api_keys'), 'the last migration undone');
    const revert = cli(['migrate', '--revert'], env);
    assert.equal(revert.status, 0, revert.stderr + revert.stdout);
    assert.match(revert.stdout, /Reverted Collections\d+/);
    assert.ok(!(await tables()).includes('collections'), 'the one before undone');
    const before = cli(['migrate', '--revert'], env);
    assert.equal(before.status, 0, before.stderr + before.stdout);
    assert.match(before.stdout, /Reverted AuditLog\d+/);
    assert.ok(!(await tables()).includes('audit_log'), 'the one before undone too');
    const third = cli(['migrate', '--revert'], env);
    assert.equal(third.status, 0, third.stderr + third.stdout);
    assert.match(third.stdout, /Reverted ImageDigest\d+/);
    const [columns] = await sql.query<RowDataPacket[]>(
      "SHOW COLUMNS FROM face_references LIKE 'image_sha256'",
    );
    assert.equal(columns.length, 0, 'and the one before that');
  });

  it('should make, list and revoke scoped keys, printing the secret once, and record each change', async () => {
    const env = { DATABASE_URL: database.url, API_KEYS: 'cli-admin-key-0123456789' };
    assert.equal(cli(['migrate'], env).status, 0);
    const made = cli(['keys', 'create', '--name', 'kiosk', '--scopes', 'verify,read'], env);
    assert.equal(made.status, 0, made.stderr);
    const created = JSON.parse(made.stdout) as { id: string; secret: string; scopes: string[] };
    assert.match(created.secret, /^fg_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(created.scopes, ['verify', 'read']);
    const listed = cli(['keys', 'list'], env);
    assert.equal(listed.status, 0, listed.stderr);
    assert.ok(listed.stdout.includes(created.id));
    assert.ok(!listed.stdout.includes(created.secret.slice(3)), 'a listing shows a secret');
    const revoked = cli(['keys', 'revoke', created.id], env);
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.ok((JSON.parse(revoked.stdout) as { revoked_at: string | null }).revoked_at);
    const unknown = cli(['keys', 'revoke', 'nosuchkey000'], env);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /No API key found with id: nosuchkey000/);
    const wrong = cli(['keys', 'create', '--name', 'x', '--scopes', 'fly'], env);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /--scopes takes a comma-separated list of enrol, verify/);
    const [entries] = await sql.query<RowDataPacket[]>(
      "SELECT action, key_id FROM audit_log WHERE action LIKE 'key-%' ORDER BY id",
    );
    assert.deepEqual(
      entries.map((row) => `${String(row.action)} by ${String(row.key_id)}`),
      ['key-create by cli', 'key-revoke by cli'],
    );
    const [rows] = await sql.query<RowDataPacket[]>('SELECT * FROM api_keys');
    assert.ok(!JSON.stringify(rows).includes(created.secret.slice(3)), 'a secret is stored');
  });

  it('should export the audit trail as JSON lines on stdout, filtered, with the log on stderr', async () => {
    const other = await createTestDatabase();
    try {
      const env = { DATABASE_URL: other.url, LOG_LEVEL: 'log' };
      assert.equal(cli(['migrate'], env).status, 0);
      const check = await createConnection({ uri: other.url });
      const row = (time: string, action: string, subjects: string[]) => [
        time,
        'default',
        action,
        '[]',
        JSON.stringify(subjects),
        200,
        `req-${time}`,
        '127.0.0.1',
      ];
      await check.query(
        'INSERT INTO audit_log (occurred_at, collection, action, reference_keys, subjects, outcome, request_id, client_address) VALUES ?',
        [
          [
            row('2026-11-01 10:00:00', 'identify', ['amy']),
            row('2026-12-01 10:00:00', 'person-read', ['amy']),
            row('2026-12-02 10:00:00', 'person-read', ['bob']),
          ],
        ],
      );
      await check.end();
      const run = cli(['audit', '--since', '2026-11-15', '--subject', 'amy'], env);
      assert.equal(run.status, 0, run.stderr);
      const lines = run.stdout.trim().split('\n');
      assert.deepEqual(
        lines.map((line) => (JSON.parse(line) as { request_id: string }).request_id),
        ['req-2026-12-01 10:00:00'],
      );
      assert.match(run.stderr, /"level":"info"/, 'the log went to stderr');
      const wrong = cli(['audit', '--since', 'last week'], env);
      assert.equal(wrong.status, 2);
      assert.match(wrong.stderr, /--since takes an ISO 8601/);
    } finally {
      await other.drop();
    }
  });

  it('should read DATABASE_URL from .env in its folder', async () => {
    const other = await createTestDatabase();
    const folder = mkdtempSync(join(tmpdir(), 'facegate-cli-'));
    try {
      writeFileSync(join(folder, '.env'), `DATABASE_URL=${other.url}\n`);
      const run = cli(['migrate'], {}, folder);
      assert.equal(run.status, 0, run.stderr + run.stdout);
      // Migrated on MariaDB: without the file it would have used SQLite in the folder.
      const check = await createConnection({ uri: other.url });
      const [rows] = await check.query<RowDataPacket[]>('SHOW TABLES');
      await check.end();
      assert.ok(rows.length > 0, run.stdout);
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await other.drop();
    }
  });

  it('should write the OpenAPI document that is committed', () => {
    const folder = mkdtempSync(join(tmpdir(), 'facegate-cli-'));
    try {
      const file = join(folder, 'openapi.json');
      const run = cli(['openapi', file]);
      assert.equal(run.status, 0, run.stderr + run.stdout);
      assert.equal(
        readFileSync(file, 'utf8'),
        readFileSync(join(projectRoot(), 'openapi.json'), 'utf8'),
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('should refuse a bad option before connecting to anything, and an unknown command, with exit 2', () => {
    // Nothing listens on port 9: a connection attempt would be retried for half a minute.
    const bad = cli(['reembed', '--batch-size', '0'], {
      DATABASE_URL: 'mysql://root@127.0.0.1:9/nowhere',
    });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--batch-size takes a positive whole number/);
    assert.match(bad.stderr, /Usage: npm run cli -- reembed/);

    const unknown = cli(['bogus']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /Unknown command bogus/);
    assert.match(unknown.stderr, /reencrypt \[--batch-size N\]/);
  });
});
