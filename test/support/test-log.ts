import { rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pino, type DestinationStream } from 'pino';
import { projectRoot } from '../../src/common/project-root.js';

let destination: DestinationStream | undefined;

/**
 * Where the services a test file starts write their log lines: `test/artifacts/logs/<file>.log`,
 * so that a passing run prints only the test reporter's lines. The file is removed when the test
 * file exits with every test passed and kept when one failed, for reading beside the failure.
 */
export function testLogDestination(): DestinationStream {
  if (destination) return destination;
  const path = join(
    projectRoot(),
    'test',
    'artifacts',
    'logs',
    `${basename(process.argv[1] ?? 'test', '.js')}.log`,
  );
  // Synchronous, so that the last lines before a crash or process.exit are in the file.
  destination = pino.destination({ dest: path, sync: true, mkdir: true, append: false });
  process.on('exit', (code) => {
    if (code === 0) rmSync(path, { force: true });
  });
  return destination;
}
