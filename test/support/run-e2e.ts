// `npm run test:e2e [files]`: finds or starts the MySQL/MariaDB server the end-to-end specs need,
// runs them with Node's test runner (every *.e2e-spec.js under build/test unless files are named),
// and stops a server it started, also on Ctrl-C or a failure. With no server to be had it prints
// one line and runs nothing, instead of every spec failing on its own. A whole run against a
// server that was already there also runs the specs that depend on the server's own settings once
// more, against a private server with the installed program's defaults: the path a fresh machine
// takes, which would otherwise go untested wherever a server is running.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/common/project-root.js';
import {
  findServerProgram,
  prepareTestDatabaseServer,
  startPrivateServer,
  type PrivateServer,
  type TestDatabaseServer,
} from './private-database.js';

/** Specs whose outcome depends on the database server's settings (max_allowed_packet). */
const SERVER_SETTINGS_SPECS = ['database-limits.e2e-spec.js'];

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

async function runSpecs(url: string, files: string[]): Promise<number> {
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

/** Says which private server the specs use, and makes sure it goes when this process does. */
function announce(server: PrivateServer, reason: string | undefined): void {
  // Last resort for an exit that skips the caller's finally.
  process.on('exit', () => server.kill());
  console.log(
    `e2e: started ${server.version} at ${server.url}, data in ${server.folder}, removed at the ` +
      `end (${reason})`,
  );
}

/** The server-settings specs again, on a private server with the program's defaults. */
async function runOnPrivateServer(): Promise<number> {
  const files = allSpecs().filter((file) =>
    SERVER_SETTINGS_SPECS.some((name) => file.endsWith(name)),
  );
  const program = findServerProgram();
  if (!program) {
    console.log(
      `e2e: ${SERVER_SETTINGS_SPECS.join(', ')} not run again on a private server: no server ` +
        'program (mariadbd, mysqld) is installed',
    );
    return 0;
  }
  const server = await startPrivateServer(program);
  announce(server, "the specs that depend on the server's settings, on its defaults");
  try {
    if (interrupted) return 128 + constants.signals[interrupted];
    return await runSpecs(server.url, files);
  } finally {
    await server.stop();
  }
}

async function main(): Promise<number> {
  const named = process.argv.length > 2 ? process.argv.slice(2) : undefined;
  let database: TestDatabaseServer;
  try {
    database = await prepareTestDatabaseServer();
  } catch (error) {
    if (interrupted) return 128 + constants.signals[interrupted];
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
  const { privateServer } = database;
  let code: number;
  try {
    if (privateServer) announce(privateServer, database.reason);
    if (interrupted) return 128 + constants.signals[interrupted];
    code = await runSpecs(database.url, named ?? allSpecs());
  } finally {
    await privateServer?.stop();
  }
  if (named || privateServer || interrupted) return code;
  const again = await runOnPrivateServer();
  return code !== 0 ? code : again;
}

process.exitCode = await main();
