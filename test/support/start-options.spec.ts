import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../src/common/project-root.js';
import { startNodeOptions } from './start-options.js';

describe('the options the service runs with', () => {
  const root = projectRoot();

  it('should be the same in npm start, npm run start:prod and the Docker image', () => {
    const options = startNodeOptions(root);
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.equal(manifest.scripts['start:prod'], manifest.scripts.start);
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    assert.ok(cmd, 'the Dockerfile has an exec-form CMD');
    assert.deepEqual(JSON.parse(cmd) as string[], ['node', ...options, 'dist/src/main.js']);
  });

  it('should be options this Node.js accepts', () => {
    const run = spawnSync(process.execPath, [...startNodeOptions(root), '-e', '0'], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
  });
});
