import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';

/** Tried when TEST_DATABASE_URL is unset: a local server that lets root in without a password. */
export const DEFAULT_TEST_SERVER = 'mysql://root@127.0.0.1:3306/test';

const INSTALL_HINT =
  'Install one (Debian/Ubuntu: `sudo apt-get install mariadb-server`; macOS: `brew install mariadb`; ' +
  'it need not be running) or point TEST_DATABASE_URL at a server, e.g. mysql://root:secret@127.0.0.1:3306/test.';

/** Where distributions put the server programs; /usr/sbin is not on a Debian user's PATH. */
export function defaultSearchPath(): string[] {
  const path = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return [...path, '/usr/sbin', '/usr/local/sbin', '/usr/local/mysql/bin'];
}

function findProgram(names: string[], dirs: string[]): string | undefined {
  for (const dir of dirs) {
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export interface ServerProgram {
  /** mariadbd or mysqld */
  server: string;
  /** mariadb-install-db or mysql_install_db for MariaDB; MySQL initialises with the server. */
  installDb?: string;
  /** The program and its version, e.g. "mariadbd 10.11.19-MariaDB-0+deb12u1" */
  version: string;
}

/** The installed MariaDB or MySQL server program, or undefined when there is none. */
export function findServerProgram(dirs = defaultSearchPath()): ServerProgram | undefined {
  const server = findProgram(['mariadbd', 'mysqld'], dirs);
  if (!server) return undefined;
  const said = spawnSync(server, ['--version'], { encoding: 'utf8' }).stdout;
  const version = `${basename(server)} ${/Ver\s+(\S+)/.exec(said)?.[1] ?? ''}`.trim();
  if (!/mariadb/i.test(said)) return { server, version };
  const installDb = findProgram(['mariadb-install-db', 'mysql_install_db'], dirs);
  return installDb ? { server, installDb, version } : undefined;
}

/** An administrative connection, without a database, to the server `url` names. */
export function connectToServer(url: string): Promise<Connection> {
  const server = new URL(url);
  return createConnection({
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username),
    password: decodeURIComponent(server.password),
    connectTimeout: 5000,
  });
}

/** Why no MySQL/MariaDB server accepts a connection at `url`, or undefined when one does. */
export async function whyNoServerAt(url: string): Promise<string | undefined> {
  try {
    await (await connectToServer(url)).end();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message || String(error) : String(error);
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A MariaDB/MySQL server of the test run's own, on a free loopback port. */
export interface PrivateServer {
  /** mysql://root@127.0.0.1:<port>/test */
  url: string;
  /** Its data directory, socket and log, removed by stop(). */
  folder: string;
  version: string;
  /** Shuts it down and removes its folder. */
  stop(): Promise<void>;
  /** Kills it and removes its folder at once, for process exit where nothing can be awaited. */
  kill(): void;
}

function run(command: string, args: string[], log: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${tail(log)}`)),
    );
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ');
  } catch {
    return '(no log)';
  }
}

/**
 * Initialises a data directory in a temporary folder and starts the server on it: a free port on
 * 127.0.0.1, its socket in the folder, root without a password, none of the machine's option
 * files. The server runs in a process group of its own, so a Ctrl-C meant for the tests does not
 * reach it before the tests are done with it; stop() ends it.
 */
export async function startPrivateServer(
  program: ServerProgram,
  /** Server options beyond the defaults, e.g. a small tablespace. */
  options: string[] = [],
): Promise<PrivateServer> {
  const folder = mkdtempSync(join(tmpdir(), 'facegate-db-'));
  const data = join(folder, 'data');
  const socket = join(folder, 'mysqld.sock');
  const log = join(folder, 'error.log');
  // mariadbd and mysqld refuse to run as root unless told to.
  const asUser = process.getuid?.() === 0 ? [`--user=${userInfo().username}`] : [];
  const common = [
    '--no-defaults',
    `--datadir=${data}`,
    `--log-error=${log}`,
    ...asUser,
    ...options,
  ];
  let server: ChildProcess | undefined;
  const kill = () => {
    server?.kill('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    if (program.installDb) {
      await run(
        program.installDb,
        [
          ...common,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
          '--innodb-log-file-size=16M',
        ],
        log,
      );
    } else {
      await run(program.server, [...common, '--initialize-insecure'], log);
    }
    const port = await freePort();
    server = spawn(
      program.server,
      [
        ...common,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${socket}`,
        `--pid-file=${join(folder, 'mysqld.pid')}`,
        '--skip-name-resolve',
        '--innodb-log-file-size=16M',
        // Otherwise the server's own defaults (max_allowed_packet among them), as a newcomer's
        // installed server has them: the specs run against that as well as CI's.
        ...(program.installDb ? [] : ['--mysqlx=OFF']),
      ],
      { stdio: 'ignore', detached: true },
    );
    const exited = new Promise<never>((_, reject) => {
      server?.on('exit', (code) =>
        reject(new Error(`${program.server} exited with ${code}: ${tail(log)}`)),
      );
      server?.on('error', reject);
    });
    exited.catch(() => undefined);
    await Promise.race([allowRootOverTcp(socket), exited]);
    const running = server;
    return {
      url: `mysql://root@127.0.0.1:${port}/test`,
      folder,
      version: program.version,
      kill,
      async stop() {
        const gone = new Promise((resolve) => running.once('exit', resolve));
        if (running.exitCode === null && running.signalCode === null) {
          running.kill('SIGTERM');
          const timer = setTimeout(() => running.kill('SIGKILL'), 30_000);
          await gone;
          clearTimeout(timer);
        }
        rmSync(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    kill();
    throw error;
  }
}

/**
 * Waits until the server takes connections on its socket, then lets root in over TCP from
 * 127.0.0.1 as well: MySQL creates only root@localhost, which --skip-name-resolve keeps to the
 * socket (MariaDB already has root@127.0.0.1).
 */
async function allowRootOverTcp(socketPath: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const admin = await createConnection({ socketPath, user: 'root', password: '' });
      await admin.query("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'");
      await admin.query("GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION");
      // The database the URL names, as in a server set up for the tests by hand.
      await admin.query('CREATE DATABASE IF NOT EXISTS test');
      await admin.end();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** The server the e2e specs use, and the private one started for them if any. */
export interface TestDatabaseServer {
  url: string;
  privateServer?: PrivateServer;
  /** Why a private server was started. */
  reason?: string;
}

/**
 * TEST_DATABASE_URL when it is set (and answers); else the server at TEST_DATABASE_DEFAULT_URL
 * (the local one on port 3306) when root gets in without a password; else a private server from
 * the installed program. Throws one line that says what to do when none of these works.
 */
export async function prepareTestDatabaseServer(
  env: Record<string, string | undefined> = process.env,
  searchPath = defaultSearchPath(),
): Promise<TestDatabaseServer> {
  if (env.TEST_DATABASE_URL) {
    const why = await whyNoServerAt(env.TEST_DATABASE_URL);
    if (why) {
      throw new Error(`TEST_DATABASE_URL names a server that does not let the tests in: ${why}`);
    }
    return { url: env.TEST_DATABASE_URL };
  }
  const fallback = env.TEST_DATABASE_DEFAULT_URL || DEFAULT_TEST_SERVER;
  const why = await whyNoServerAt(fallback);
  if (!why) return { url: fallback };
  const { host } = new URL(fallback);
  const program = findServerProgram(searchPath);
  if (!program) {
    throw new Error(
      `The end-to-end tests need MySQL or MariaDB: nothing at ${host} lets root in without a ` +
        `password (${why}) and no server program (mariadbd, mysqld) is installed. ${INSTALL_HINT}`,
    );
  }
  const privateServer = await startPrivateServer(program);
  return { url: privateServer.url, privateServer, reason: `${host} did not let root in: ${why}` };
}
