#!/usr/bin/env node
// Copies the face-api model weights the service uses from the installed npm package into models/
// (or MODELS_DIR) and checks each file against the sums committed in models/SHA256SUMS, so that a
// changed or corrupted package never reaches the engine unnoticed. Runs as npm's postinstall.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sumsFile = join(root, 'models', 'SHA256SUMS');
const target = resolve(root, process.env.MODELS_DIR ?? 'models');

const require = createRequire(import.meta.url);
const source = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');

const sums = (await readFile(sumsFile, 'utf8'))
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const [sha256, name] = line.trim().split(/\s+/);
    return { sha256, name };
  });

await mkdir(target, { recursive: true });
for (const { sha256, name } of sums) {
  const from = join(source, name);
  const actual = createHash('sha256')
    .update(await readFile(from))
    .digest('hex');
  if (actual !== sha256) {
    console.error(
      `install-models: ${from} has sha256 ${actual}, expected ${sha256} (models/SHA256SUMS)`,
    );
    process.exit(1);
  }
  if (resolve(from) !== resolve(target, name)) await copyFile(from, join(target, name));
}
console.log(`install-models: ${sums.length} files verified in ${target}`);
