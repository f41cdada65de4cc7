#!/usr/bin/env node
// `npm run start:dev`: the compiler in watch mode, and the service as `npm start` runs it,
// restarted by Node whenever dist/ changes (worker files included). Plain tsc and node --watch:
// the Nest CLI's dependencies need a newer Node than the service supports.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const build = [tsc, '-b', 'tsconfig.build.json'];
// `node [options] dist/src/main.js`, the same options as npm start.
const [, ...service] = JSON.parse(readFileSync('package.json', 'utf8')).scripts.start.split(/\s+/);

// Once before the watchers, so the service starts from current output; type errors do not stop
// the loop (tsc still emits, and the watcher reports them again as they are fixed).
spawnSync(process.execPath, build, { stdio: 'inherit' });
const children = [
  spawn(process.execPath, [...build, '--watch', '--preserveWatchOutput'], { stdio: 'inherit' }),
  spawn(process.execPath, ['--watch-path=dist', ...service], { stdio: 'inherit' }),
];
for (const child of children) {
  child.on('exit', (code) => {
    for (const other of children) if (other.exitCode === null) other.kill('SIGTERM');
    process.exitCode ??= code ?? 1;
  });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => children.forEach((child) => child.kill(signal)));
}
