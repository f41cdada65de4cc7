import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../src/common/project-root.js';

interface Row {
  endpoint: string;
  workers: number;
  concurrency: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
}

/** Runs the benchmark script of this build with `args`; resolves with its exit code and output. */
function runBench(
  args: string[],
  tool = 'bench.js',
): Promise<{ code: number | null; output: string }> {
  const script = join(projectRoot(), 'build', 'tools', 'bench', tool);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, DATABASE_URL: '', FACE_BACKEND: 'wasm' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

// Keeps `npm run bench` working: a few requests, no timing asserted (CI machines are noisy).
describe('benchmark smoke run', () => {
  it('should measure every endpoint against both pools and write the figures as JSON', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'facegate-bench-smoke-'));
    const file = join(folder, 'bench.json');
    try {
      const { code, output } = await runBench(['--smoke', '--json', file]);
      assert.equal(code, 0, output);
      assert.match(output, /\| endpoint \| workers \| c \| req\/s \| p50 ms \| p95 ms \| p99 ms/);

      const report = JSON.parse(readFileSync(file, 'utf8')) as {
        meta: { backend: string; smoke: boolean; defaultWorkers: number; photos: string[] };
        cells: Row[];
        oneWorker: Row[];
        poolSpeedup: { concurrency: number; medianOfRounds: number };
        listUnderLoad: { listRequests: number; listP99: number; references: number };
        firstRequest: { service: string; endpoint: string; ms: number; ratio: number }[];
        peakRssMb: Record<string, number>;
        store: { references: number; list: { requests: number }; plans: unknown[] };
        totals: { errors: number; non2xx: number };
      };
      assert.equal(report.meta.smoke, true);
      assert.equal(report.meta.backend, 'wasm');
      assert.equal(report.meta.photos.length, 2);
      assert.deepEqual(
        report.cells.map((row) => `${row.endpoint}@${row.concurrency}`),
        ['upload@1', 'upload@2', 'compare@1', 'compare@2', 'list@1', 'list@2'],
      );
      assert.deepEqual(
        report.oneWorker.map((row) => `${row.endpoint}@${row.workers}x${row.concurrency}`),
        ['compare@1x1', 'compare@1x2'],
      );
      for (const row of [...report.cells, ...report.oneWorker]) {
        assert.ok(row.requests > 0, `${row.endpoint} c=${row.concurrency} made no request`);
        for (const figure of [row.rps, row.p50, row.p95, row.p99]) {
          assert.ok(Number.isFinite(figure) && figure > 0, JSON.stringify(row));
        }
      }
      assert.equal(report.poolSpeedup.concurrency, 2);
      assert.ok(Number.isFinite(report.poolSpeedup.medianOfRounds));
      assert.equal(report.listUnderLoad.references, 100);
      assert.ok(report.listUnderLoad.listRequests > 0);
      assert.deepEqual(
        report.firstRequest.map((entry) => `${entry.service}:${entry.endpoint}`),
        ['default:upload', 'one worker:compare'],
      );
      assert.ok(report.peakRssMb.default > 0 && report.peakRssMb['one worker'] > 0);
      assert.equal(report.store.references, 300);
      assert.ok(report.store.list.requests > 0);
      // Compare's lookup, the list's page and its count.
      assert.equal(report.store.plans.length, 3);
      assert.deepEqual(report.totals, { errors: 0, non2xx: 0 });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('should keep bench:keys running: a compare and a read with a scoped key beside none', async () => {
    const { code, output } = await runBench(['--count', '2'], 'key-check.js');
    assert.equal(code, 0, output);
    assert.match(output, /scoped key \(verify\)\s*: p50 [\d.]+ ms/);
    assert.match(output, /GET \/references\/\{key\}, scoped key\s*: p50 [\d.]+ ms/);
    assert.match(output, /key check alone \(stored key in memory\): p50 [\d.]+ µs/);
  });
});
