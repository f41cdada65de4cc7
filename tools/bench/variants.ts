// `npm run bench -- --backends onnx,wasm,onnx@1x2`: the whole bench once per entry, one after the
// other on the same machine, then their figures side by side. An entry is a FACE_BACKEND, or
// `backend@WxT` for W workers (FACE_WORKERS) with T onnxruntime threads each (FACE_ONNX_THREADS).
// Every other option is passed on to each run.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from './statistics.js';
import { table } from './table.js';

interface Variant {
  label: string;
  env: Record<string, string>;
}

interface Row {
  endpoint: string;
  concurrency: number;
  rps: number;
  p50: number;
  p99: number;
}

/** What one run's `--json` holds, as far as the side-by-side table reads it. */
interface RunFigures {
  meta: { backend: string; defaultWorkers: number };
  cells: Row[];
  listUnderLoad?: { listP99: number; compareRps: number };
  peakRssMb: Record<string, number>;
  totals: { errors: number; non2xx: number };
}

export function parseVariants(list: string): Variant[] {
  return list
    .split(',')
    .filter(Boolean)
    .map((entry) => {
      const match = /^([a-z]+)(?:@(\d+)x(\d+))?$/.exec(entry.trim());
      if (!match)
        throw new Error(`--backends: "${entry}" is not BACKEND or BACKEND@WORKERSxTHREADS`);
      const [, backend, workers, threads] = match;
      const env: Record<string, string> = { FACE_BACKEND: backend };
      if (workers) env.FACE_WORKERS = workers;
      if (threads) env.FACE_ONNX_THREADS = threads;
      return { label: entry.trim(), env };
    });
}

/** Runs the bench for each variant with `args` (no `--backends`, no `--json`); prints the table. */
export async function benchVariants(
  list: string,
  args: string[],
  jsonPath: string | undefined,
): Promise<void> {
  const variants = parseVariants(list);
  const folder = mkdtempSync(join(tmpdir(), 'facegate-bench-variants-'));
  const script = fileURLToPath(new URL('./bench.js', import.meta.url));
  const results: { variant: Variant; figures: RunFigures }[] = [];
  try {
    for (const [index, variant] of variants.entries()) {
      console.log(`\n=== ${variant.label} (${index + 1} of ${variants.length}) ===`);
      const json = join(folder, `${index}.json`);
      const code = await new Promise<number | null>((resolve) => {
        spawn(process.execPath, [script, ...args, '--json', json], {
          stdio: 'inherit',
          env: { ...process.env, ...variant.env },
        }).on('exit', resolve);
      });
      if (code !== 0) throw new Error(`the bench for ${variant.label} exited with ${code}`);
      results.push({ variant, figures: JSON.parse(readFileSync(json, 'utf8')) as RunFigures });
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  const cell = (figures: RunFigures, endpoint: string, concurrency: number) =>
    figures.cells.find((row) => row.endpoint === endpoint && row.concurrency === concurrency);
  const concurrencies = [...new Set(results[0].figures.cells.map((row) => row.concurrency))];
  const top = Math.max(...concurrencies);
  const base = cell(results[results.length - 1].figures, 'compare', top)?.rps ?? Number.NaN;
  const rows = results.map(({ variant, figures }) => ({
    variant: variant.label,
    backend: figures.meta.backend,
    workers: figures.meta.defaultWorkers,
    'upload p50 c=1': cell(figures, 'upload', 1)?.p50,
    'compare p50 c=1': cell(figures, 'compare', 1)?.p50,
    [`compare/s c=${top}`]: cell(figures, 'compare', top)?.rps,
    [`vs ${results[results.length - 1].variant.label}`]: round(
      (cell(figures, 'compare', top)?.rps ?? Number.NaN) / base,
      2,
    ),
    'list p99 under load': figures.listUnderLoad?.listP99,
    'peak RSS MB': figures.peakRssMb.default,
    'errors/non-2xx': `${figures.totals.errors}/${figures.totals.non2xx}`,
  }));
  console.log('\nSide by side (medians of each run; milliseconds, requests per second):');
  console.log(table(rows));
  if (jsonPath) {
    writeFileSync(
      jsonPath,
      JSON.stringify(
        { variants: results.map(({ variant, figures }) => ({ ...variant, figures })), rows },
        null,
        2,
      ),
    );
  }
}
