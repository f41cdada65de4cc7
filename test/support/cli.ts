import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/common/project-root.js';

/** The CLI in `cwd`: by default a folder without a `.env`, so a developer's cannot change it. */
export function cli(args: string[], env: Record<string, string> = {}, cwd = tmpdir()) {
  return spawnSync(process.execPath, [join(projectRoot(), 'build', 'src', 'cli.js'), ...args], {
    cwd,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 240_000,
  });
}
