// `npm run test:e2e [files]`: finds or starts the MySQL/MariaDB server the end-to-end specs need,
// runs them with Node's test runner (every *.e2e-spec.js under build/test unless files are named),
// and stops a server it started, also on Ctrl-C or a failure. With no server to be had it prints
// one line and runs nothing, instead of every spec failing on its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/common/project-root.js';
import { prepareTestDatabaseServer, type TestDatabaseServer } from './private-database.js';

function allSpecs(): string[] {
  const dir = join(projectRoot(), 'build', 'test');
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.e2e-spec.js'))
    .map((name) => join(dir, name))
    .sort();
}

let interrupted: NodeJS.Signals | undefined;
let tests: ChildProcess | undefined;
// A Ctrl-C reaches the tests (and an install step) from the terminal; a signal sent to this
// process alone is passed on. Either way a private server is stopped before this exits.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    interrupted ??= signal;
    tests?.kill(signal);
  });
}

async function runSpecs(url: string): Promise<number> {
  const files = process.argv.length > 2 ? process.argv.slice(2) : allSpecs();
  tests = spawn(
    process.execPath,
    ['--test', '--test-reporter=spec', '--test-concurrency=1', '--test-timeout=300000', ...files],
    { stdio: 'inherit', env: { ...process.env, TEST_DATABASE_URL: url } },
  );
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    tests?.on('exit', (...result) => resolve(result)),
  );
  if (code !== 0 && !interrupted)
    console.log("e2e: the services' logs of the failed specs are in test/artifacts/logs/");
  return code ?? 128 + constants.signals[signal ?? 'SIGTERM'];
}

async function main(): Promise<number> {
  let database: TestDatabaseServer;
  try {
    database = await prepareTestDatabaseServer();
  } catch (error) {
    if (interrupted) return 128 + constants.signals[interrupted];
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
  const { privateServer } = database;
  try {
    if (privateServer) {
      // Last resort for an exit that skips the finally below.
      process.on('exit', () => privateServer.kill());
      console.log(
        `e2e: started ${privateServer.version} at ${privateServer.url}, data in ` +
          `${privateServer.folder}, removed at the end (${database.reason})`,
      );
    }
    if (interrupted) return 128 + constants.signals[interrupted];
    return await runSpecs(database.url);
  } finally {
    await privateServer?.stop();
  }
}

process.exitCode = await main();
