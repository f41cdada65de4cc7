import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { projectRoot } from '../../src/common/project-root.js';
import { testLogDestination } from './test-log.js';
import { TEST_FACE_BACKEND } from './test-backend.js';

export interface ServiceProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** http://127.0.0.1:<port> */
  base: string;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** The exit code, once the process has exited. */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * The built service (`build/src/main.js`) as a child process on a random local port, as `npm start`
 * runs it: embedded SQLite in a fresh DATA_DIR unless `env` says otherwise, stdout and stderr
 * captured (and copied to the test log). It runs in that fresh folder, so a developer's `.env` never reaches it; `dotEnv` is
 * written there as its `.env`, and `nodeOptions` go before the script (`startNodeOptions()` gives
 * npm start's). Resolves once it logs that it listens; the caller kills it.
 */
export async function startServiceProcess(
  env: Record<string, string> = {},
  { dotEnv, nodeOptions = [] }: { dotEnv?: string; nodeOptions?: string[] } = {},
): Promise<ServiceProcess> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const folder = mkdtempSync(join(tmpdir(), 'facegate-process-'));
  if (dotEnv !== undefined) writeFileSync(join(folder, '.env'), dotEnv);
  const main = join(projectRoot(), 'build', 'src', 'main.js');
  const child = spawn(process.execPath, [...nodeOptions, main], {
    cwd: folder,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: '',
      DATA_DIR: folder,
      MODELS_DIR: join(projectRoot(), 'models'),
      FACE_BACKEND: TEST_FACE_BACKEND,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 120 s:\n${output}`)), 120_000);
    const collect = (chunk: Buffer, stream: 'stdout' | 'stderr') => {
      const text = chunk.toString();
      testLogDestination().write(text);
      output += text;
      if (stream === 'stdout') stdout += text;
      else stderr += text;
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', (chunk: Buffer) => collect(chunk, 'stdout'));
    child.stderr.on('data', (chunk: Buffer) => collect(chunk, 'stderr'));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${output}`));
    });
  });
  try {
    await started;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    base: `http://127.0.0.1:${port}`,
    output: () => output,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    kill: (signal) => child.kill(signal),
  };
}
