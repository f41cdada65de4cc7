// `npm run cli -- enrol`: bulk enrolment as an operator runs it, in a process of its own, into
// MariaDB and SQLite directly and into a running service over HTTP, with the real models.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { projectRoot } from '../src/common/project-root.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startServiceProcess, type ServiceProcess } from './support/service-process.js';
import { TEST_FACE_BACKEND } from './support/test-backend.js';

const CLI = join(projectRoot(), 'build', 'src', 'cli.js');
const NO_FACE = /No face detected in the image/;

/** The command in a folder without a `.env`, with the repository's models. */
function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: tmpdir(),
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      MODELS_DIR: join(projectRoot(), 'models'),
      FACE_BACKEND: TEST_FACE_BACKEND,
      // One worker to warm up rather than one per core: each run loads the models afresh, and
      // the spec's runs together must fit the runner's five minutes on a busy machine.
      FACE_WORKERS: '1',
      ...env,
    },
    encoding: 'utf8',
    timeout: 240_000,
  });
}

/** A local port nothing listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const fixturePath = (name: string) => join(projectRoot(), 'test', 'fixtures', name);
const digestOf = (name: string) =>
  createHash('sha256')
    .update(readFileSync(fixturePath(name)))
    .digest('hex');

interface ReportRow {
  path: string;
  subject: string;
  outcome: string;
  key: string;
  reason: string;
}

const readReport = (file: string) =>
  parse(readFileSync(file), { columns: true }) as unknown as ReportRow[];

describe('bulk enrolment (enrol)', () => {
  let work: string;
  /** One sub-folder per person: two photos of A, one of B, and a photo without a face. */
  let people: string;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'facegate-enrol-'));
    people = join(work, 'people');
    const photos: [string, string][] = [
      ['person-a-1.jpg', 'alice'],
      ['person-a-2.jpg', 'alice'],
      ['person-b-1.jpg', 'bob'],
      ['no-face.png', 'bob'],
    ];
    for (const [name, subject] of photos) {
      mkdirSync(join(people, subject), { recursive: true });
      copyFileSync(fixturePath(name), join(people, subject, name));
    }
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  describe('straight into MariaDB', () => {
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

    const references = async () => {
      const [rows] = await sql.query<RowDataPacket[]>(
        'SELECT subject, filename, image_sha256 AS sha256 FROM face_references ORDER BY id',
      );
      return rows.map(({ subject, filename, sha256 }) => `${subject} ${filename} ${sha256}`).sort();
    };
    const expected = [
      `alice person-a-1.jpg ${digestOf('person-a-1.jpg')}`,
      `alice person-a-2.jpg ${digestOf('person-a-2.jpg')}`,
      `bob person-b-1.jpg ${digestOf('person-b-1.jpg')}`,
    ];

    it('should stop with exit 2 and say so when the database has migrations pending', () => {
      const run = cli(['enrol', people], { DATABASE_URL: database.url });
      assert.equal(run.status, 2, run.stderr + run.stdout);
      assert.match(run.stderr, /migrations pending: run `npm run cli -- migrate` first/);
    });

    it('should enrol a folder, exit 1 for the photo without a face, and give the reason in the report', async () => {
      const migrate = cli(['migrate'], { DATABASE_URL: database.url });
      assert.equal(migrate.status, 0, migrate.stderr + migrate.stdout);
      const report = join(work, 'direct.csv');
      const run = cli(['enrol', people, '--report', report], { DATABASE_URL: database.url });
      assert.equal(run.status, 1, run.stderr + run.stdout);
      assert.match(run.stdout, /Enrolled 3, skipped 0 \(already enrolled\), refused 1/);
      assert.match(run.stdout, /refused bob\/no-face\.png: No face detected/);
      // Not a terminal: a line of progress, not a bar.
      assert.match(run.stderr, /enrol: 4\/4 photos, [\d.]+\/s, done/);

      const rows = readReport(report);
      assert.deepEqual(
        rows.map(({ path, subject, outcome }) => [path, subject, outcome]),
        [
          ['alice/person-a-1.jpg', 'alice', 'enrolled'],
          ['alice/person-a-2.jpg', 'alice', 'enrolled'],
          ['bob/no-face.png', 'bob', 'refused'],
          ['bob/person-b-1.jpg', 'bob', 'enrolled'],
        ],
      );
      assert.match(rows[2].reason, NO_FACE);
      assert.match(rows[0].key, /^[0-9a-f]{32}$/);
      assert.deepEqual(await references(), expected);
    });

    it('should skip every photo already enrolled on a second run and enrol nothing twice', async () => {
      const report = join(work, 'direct-again.csv');
      const run = cli(['enrol', people, '--report', report], { DATABASE_URL: database.url });
      assert.equal(run.status, 1, run.stderr + run.stdout);
      assert.match(run.stdout, /Enrolled 0, skipped 3 \(already enrolled\), refused 1/);
      assert.deepEqual(
        readReport(report).map(({ outcome }) => outcome),
        ['skipped', 'skipped', 'refused', 'skipped'],
      );
      assert.deepEqual(await references(), expected);
    });

    it('should fill the digest of plaintext images when migrating, and leave sealed ones null', async () => {
      // ApiKeys, Collections and AuditLog came after ImageDigest: undone first, applied again below.
      const keys = cli(['migrate', '--revert'], { DATABASE_URL: database.url });
      assert.match(keys.stdout, /Reverted ApiKeys\d+/, keys.stderr);
      const last = cli(['migrate', '--revert'], { DATABASE_URL: database.url });
      assert.match(last.stdout, /Reverted Collections\d+/, last.stderr);
      const later = cli(['migrate', '--revert'], { DATABASE_URL: database.url });
      assert.match(later.stdout, /Reverted AuditLog\d+/, later.stderr);
      const revert = cli(['migrate', '--revert'], { DATABASE_URL: database.url });
      assert.match(revert.stdout, /Reverted ImageDigest\d+/, revert.stderr);
      // An envelope as the cipher writes it: the migration cannot open it, so cannot hash it.
      await sql.query(
        `UPDATE reference_images i JOIN face_references r ON r.id = i.reference_id
          SET i.bytes = ? WHERE r.filename = 'person-b-1.jpg'`,
        [Buffer.concat([Buffer.from('FGE\x00\x02', 'latin1'), Buffer.alloc(64, 7)])],
      );
      const migrate = cli(['migrate'], { DATABASE_URL: database.url });
      assert.match(
        migrate.stdout,
        /Applied ImageDigest\d+, AuditLog\d+, Collections\d+, ApiKeys\d+/,
        migrate.stderr,
      );
      assert.deepEqual(await references(), [...expected.slice(0, 2), 'bob person-b-1.jpg null']);
    });
  });

  it('should enrol a manifest straight into SQLite, paths relative to it, and skip it all the second time', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'facegate-enrol-sqlite-'));
    try {
      const env = { DATABASE_URL: '', DATA_DIR: dataDir };
      assert.equal(cli(['migrate'], env).status, 0);
      const manifest = join(work, 'manifest.csv');
      writeFileSync(
        manifest,
        'path,subject\npeople/alice/person-a-1.jpg,Alice Smith\npeople/bob/person-b-1.jpg,\n',
      );
      const first = cli(['enrol', manifest], env);
      assert.equal(first.status, 0, first.stderr + first.stdout);
      assert.match(first.stdout, /into SQLite/);
      assert.match(first.stdout, /Enrolled 2, skipped 0 \(already enrolled\), refused 0/);

      const second = cli(['enrol', manifest], env);
      assert.equal(second.status, 0, second.stderr + second.stdout);
      assert.match(second.stdout, /Enrolled 0, skipped 2 \(already enrolled\), refused 0/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('through a running service (--url)', () => {
    const apiKey = 'enrol-test-key-0123456789';
    let service: ServiceProcess;

    before(async () => {
      service = await startServiceProcess({ API_KEYS: apiKey, FACE_WORKERS: '1' });
    });

    after(async () => {
      service?.kill('SIGTERM');
      await service?.exited;
    });

    const viaHttp = (extra: string[]) =>
      cli(['enrol', people, '--url', service.base, '--api-key', apiKey, ...extra], {
        // Nothing of the database is used over HTTP; a wrong one proves it.
        DATABASE_URL: 'mysql://root@127.0.0.1:9/nowhere',
      });

    it('should stop with exit 2 when the service refuses the API key', () => {
      const run = cli(['enrol', people, '--url', service.base, '--api-key', 'not-the-key-at-all']);
      assert.equal(run.status, 2, run.stderr + run.stdout);
      assert.match(run.stderr, /refused the API key: Not authenticated/);
    });

    it('should enrol over HTTP, refuse the photo without a face with its detail, then skip all', async () => {
      const report = join(work, 'http.csv');
      const first = viaHttp(['--report', report, '--concurrency', '3']);
      assert.equal(first.status, 1, first.stderr + first.stdout);
      assert.match(first.stdout, /into http:\/\/127\.0\.0\.1:\d+/);
      // --concurrency, not twice the service's one worker.
      assert.match(first.stdout, /3 at a time \(1 worker\)/);
      assert.match(first.stdout, /Enrolled 3, skipped 0 \(already enrolled\), refused 1/);
      const rows = readReport(report);
      assert.match(rows.find((row) => row.outcome === 'refused')?.reason ?? '', NO_FACE);

      // The digest the service stored is the photo's, as GET /references/{key} shows it.
      const enrolled = rows.find((row) => row.path === 'alice/person-a-1.jpg')!;
      const response = await fetch(`${service.base}/references/${enrolled.key}`, {
        headers: { 'X-API-Key': apiKey },
      });
      const described = (await response.json()) as { sha256: string; subject: string };
      assert.equal(described.sha256, digestOf('person-a-1.jpg'));
      assert.equal(described.subject, 'alice');

      const second = viaHttp([]);
      assert.equal(second.status, 1, second.stderr + second.stdout);
      assert.match(second.stdout, /Enrolled 0, skipped 3 \(already enrolled\), refused 1/);
      const listed = await fetch(`${service.base}/list_references`, {
        headers: { 'X-API-Key': apiKey },
      });
      assert.equal(((await listed.json()) as { count: number }).count, 3);
    });
  });

  it('should exit 2 on a usage error or a service out of reach, before loading anything', async () => {
    const closed = await closedPort();
    const cases: [string[], RegExp][] = [
      [['enrol'], /enrol takes one folder or manifest/],
      [['enrol', join(work, 'missing')], /no such folder or file/],
      [['enrol', people, '--concurrency', '0'], /--concurrency takes a positive whole number/],
      [['enrol', people, '--api-key', 'k'], /--api-key goes with --url/],
      [['enrol', people, '--url', 'ftp://x'], /--url must be an http/],
      [['enrol', people, '--bogus'], /Unknown option '--bogus'/],
      [
        ['enrol', people, '--url', `http://127.0.0.1:${closed}`],
        new RegExp(`Stopped: cannot reach http://127\\.0\\.0\\.1:${closed}: ECONNREFUSED`),
      ],
    ];
    for (const [args, message] of cases) {
      const run = cli(args, { DATABASE_URL: 'mysql://root@127.0.0.1:9/nowhere' });
      assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}${run.stdout}`);
      assert.match(run.stderr, message);
    }
  });
});
