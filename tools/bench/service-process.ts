import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../../src/common/project-root.js';
import { startNodeOptions } from '../../test/support/start-options.js';

/** Longest the built service may take to answer 200 on /health/ready. */
const READY_TIMEOUT_MS = 180_000;
const RSS_SAMPLE_MS = 100;
/** The Docker image's glibc setting (see the Dockerfile), so the bench measures the image's memory. */
const IMAGE_MALLOC_ARENA_MAX = '2';

export interface ReadyInfo {
  backend: string;
  model: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** VmRSS and VmHWM (peak RSS) of a process in MB, from /proc; undefined once it is gone. */
function readMemory(pid: number): { rssMb: number; peakMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/**
 * The built service (`main.js` of the same build) as a child process on a free loopback port, with its
 * memory sampled from /proc (the worker threads live in the same process, so its RSS is theirs).
 */
export class ServiceProcess {
  private peakMb = 0;
  private output = '';
  private readonly sampler: NodeJS.Timeout;
  private exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly label: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.sampler = setInterval(() => this.sample(), RSS_SAMPLE_MS);
    this.sampler.unref();
  }

  /** Starts the service with `env` over the current environment and waits until it is ready. */
  static async start(
    label: string,
    env: Record<string, string>,
  ): Promise<{ service: ServiceProcess; ready: ReadyInfo; startMs: number }> {
    const port = await freePort();
    const started = performance.now();
    // The service of the same build as this bench, so that the two never disagree.
    const main = fileURLToPath(new URL('../../src/main.js', import.meta.url));
    const child = spawn(process.execPath, [...startNodeOptions(), main], {
      cwd: projectRoot(),
      env: {
        // As the Docker image runs it (see the Dockerfile), unless the caller says otherwise.
        MALLOC_ARENA_MAX: IMAGE_MALLOC_ARENA_MAX,
        ...process.env,
        LOG_LEVEL: 'warn',
        ...env,
        PORT: String(port),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child, `http://127.0.0.1:${port}`, label);
    try {
      const ready = await service.waitUntilReady();
      return { service, ready, startMs: performance.now() - started };
    } catch (error) {
      await service.stop();
      throw error;
    }
  }

  /** The service's recent stdout and stderr (its last 20,000 characters). */
  get recentOutput(): string {
    return this.output;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resident memory now, in MB. */
  rssMb(): number {
    return readMemory(this.pid)?.rssMb ?? Number.NaN;
  }

  /** Highest resident memory since start (the kernel's VmHWM, and our own samples), in MB. */
  peakRssMb(): number {
    this.sample();
    return this.peakMb;
  }

  /** SIGTERM (the service drains and exits 0), SIGKILL if it has not exited after 40 s. */
  async stop(): Promise<void> {
    this.sample();
    clearInterval(this.sampler);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 40_000);
    await this.exited;
    clearTimeout(timer);
  }

  private sample(): void {
    const memory = readMemory(this.pid);
    if (memory) this.peakMb = Math.max(this.peakMb, memory.peakMb, memory.rssMb);
  }

  private async waitUntilReady(): Promise<ReadyInfo> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let gone = false;
    void this.exited.then(() => (gone = true));
    while (Date.now() < deadline) {
      if (gone)
        throw new Error(`${this.label} service exited before it was ready:\n${this.output}`);
      try {
        const response = await fetch(`${this.url}/health/ready`);
        if (response.ok) {
          const body = (await response.json()) as {
            info: { faceEngine: { backend: string; model: string } };
          };
          return body.info.faceEngine;
        }
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(
      `${this.label} service not ready after ${READY_TIMEOUT_MS} ms:\n${this.output}`,
    );
  }
}
