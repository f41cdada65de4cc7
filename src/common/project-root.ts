import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The folder holding package.json: the same from `dist/src/`, `build/src/` and `build/tools/`. */
export function projectRoot(from: string = import.meta.dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${from}`);
    dir = parent;
  }
  return dir;
}
