import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../src/common/project-root.js';
import {
  DEFAULT_TEST_SERVER,
  freePort,
  prepareTestDatabaseServer,
  whyNoServerAt,
} from './support/private-database.js';

const specFolders: string[] = [];
after(() => specFolders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

/** A spec for the runner to run: it needs the server TEST_DATABASE_URL names, or just waits. */
function writeSpec(body: 'query' | 'wait'): string {
  const mysql = pathToFileURL(createRequire(import.meta.url).resolve('mysql2/promise')).href;
  const file = join(mkdtempSync(join(tmpdir(), 'facegate-runner-')), `${body}.e2e-spec.mjs`);
  const test =
    body === 'query'
      ? `async (t) => {
          const { createConnection } = await import(${JSON.stringify(mysql)});
          const connection = await createConnection(process.env.TEST_DATABASE_URL);
          await connection.query('CREATE DATABASE runner_check');
          await connection.query('DROP DATABASE runner_check');
          await connection.end();
          t.diagnostic('used ' + process.env.TEST_DATABASE_URL);
        }`
      : '() => new Promise((resolve) => setTimeout(resolve, 600_000))';
  writeFileSync(file, `import { it } from 'node:test';\nit('${body}', ${test});\n`);
  specFolders.push(dirname(file));
  return file;
}

/** `npm run test:e2e <spec>` with nothing answering where it looks for a server first. */
async function startRunner(spec: string) {
  const env: Record<string, string | undefined> = {
    ...process.env,
    TEST_DATABASE_DEFAULT_URL: `mysql://root@127.0.0.1:${await freePort()}/test`,
  };
  delete env.TEST_DATABASE_URL;
  // Set in every spec's process; Node's test runner would refuse to run files under it.
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(
    process.execPath,
    [join(projectRoot(), 'build', 'test', 'support', 'run-e2e.js'), spec],
    // A process group of its own, as a terminal gives a command, to send it a Ctrl-C.
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  const started = new Promise<{ url: string; folder: string }>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /e2e: started \S+ \S+ at (\S+), data in (\S+),/.exec(output);
      if (match) resolve({ url: match[1], folder: match[2] });
    });
    void exited.then(() =>
      reject(new Error(`the runner exited before a server started:\n${output}`)),
    );
  });
  return { child, exited, started, output: () => output };
}

describe('the database server for the end-to-end tests', () => {
  it('should start a private server when none answers, give it to the specs and remove it at the end', async () => {
    const runner = await startRunner(writeSpec('query'));
    const { url, folder } = await runner.started;
    assert.equal(await runner.exited, 0, runner.output());
    assert.match(runner.output(), new RegExp(`used ${url.replace(/[/.]/g, '\\$&')}`));
    assert.ok(!existsSync(folder), `${folder} is still there`);
    assert.ok(await whyNoServerAt(url), `${url} still answers`);
  });

  it('should stop and remove the private server on Ctrl-C', async () => {
    const runner = await startRunner(writeSpec('wait'));
    const { url, folder } = await runner.started;
    process.kill(-(runner.child.pid ?? 0), 'SIGINT');
    const timeout = setTimeout(() => runner.child.kill('SIGKILL'), 60_000);
    const code = await runner.exited;
    clearTimeout(timeout);
    assert.equal(code, 130, runner.output());
    assert.ok(!existsSync(folder), `${folder} is still there`);
    assert.ok(await whyNoServerAt(url), `${url} still answers`);
  });

  it('should say in one line how to install a server when none answers and none is installed', async () => {
    const nothing = {
      TEST_DATABASE_DEFAULT_URL: `mysql://root@127.0.0.1:${await freePort()}/test`,
    };
    await assert.rejects(prepareTestDatabaseServer(nothing, []), (error: Error) => {
      assert.doesNotMatch(error.message, /\n/);
      assert.match(error.message, /sudo apt-get install mariadb-server/);
      assert.match(error.message, /brew install mariadb/);
      return true;
    });
  });

  it('should refuse in one line a TEST_DATABASE_URL that does not answer, and take one that does', async () => {
    const closed = `mysql://root@127.0.0.1:${await freePort()}/test`;
    await assert.rejects(
      prepareTestDatabaseServer({ TEST_DATABASE_URL: closed }),
      (error: Error) => {
        assert.match(
          error.message,
          /^TEST_DATABASE_URL names a server that does not let the tests in: [^\n]+$/,
        );
        return true;
      },
    );
    const working = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_SERVER;
    const prepared = await prepareTestDatabaseServer({ TEST_DATABASE_URL: working });
    assert.equal(prepared.url, working);
    assert.equal(prepared.privateServer, undefined);
  });
});
