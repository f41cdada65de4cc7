import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/common/project-root.js';

/**
 * The Node.js options `npm start` runs the service with (`node [options] dist/src/main.js` in
 * package.json; the Dockerfile's CMD is checked against it), so the bench measures the service as
 * it is run.
 */
export function startNodeOptions(root = projectRoot()): string[] {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const words = manifest.scripts.start.trim().split(/\s+/);
  if (words[0] !== 'node' || words.length < 2) {
    throw new Error(
      `package.json "start" is not "node [options] <main>": ${manifest.scripts.start}`,
    );
  }
  return words.slice(1, -1);
}
