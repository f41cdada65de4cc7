#!/usr/bin/env node
// Builds the operator console (console/) into the folder the service serves at /console, and
// fails when the JavaScript the first page loads is over its budget: 150 KB gzipped (issue 26).
// Usage: node scripts/build-console.mjs <outDir>   (dist/console for the service, build/console
// for the tests, which run the service from build/).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const BUDGET_BYTES = 150 * 1024;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(root, process.argv[2] ?? 'dist/console');

await build({
  configFile: join(root, 'console', 'vite.config.ts'),
  build: { outDir },
  logLevel: 'warn',
});

// What the first page loads: the scripts index.html names and every module they import.
const html = await readFile(join(outDir, 'index.html'), 'utf8');
const scripts = [...html.matchAll(/<script[^>]+src="\/console\/([^"]+)"/g)].map(
  (match) => match[1],
);
const preloads = [
  ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/console\/([^"]+)"/g),
].map((match) => match[1]);
let gzipped = 0;
for (const file of new Set([...scripts, ...preloads])) {
  gzipped += gzipSync(await readFile(join(outDir, file)), { level: 9 }).length;
}
const assets = await readdir(join(outDir, 'assets'));
const report = { firstPageJsGzipBytes: gzipped, budgetBytes: BUDGET_BYTES, files: assets.sort() };
await writeFile(join(outDir, 'size.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `console: ${(gzipped / 1024).toFixed(1)} KB of JavaScript gzipped on the first page, into ${outDir}`,
);
if (gzipped > BUDGET_BYTES) {
  console.error(`console: over the ${BUDGET_BYTES / 1024} KB budget`);
  process.exit(1);
}
