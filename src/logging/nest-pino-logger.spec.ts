import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from './logger.js';
import { NestPinoLogger } from './nest-pino-logger.js';
import { requestLoggerStorage } from './request-context.js';

/** A logger at `level` whose lines land in `lines`, parsed. */
function capture(level: 'log' | 'warn' | 'verbose') {
  const lines: Record<string, unknown>[] = [];
  const root = createLogger(level, {
    write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { root, lines, nest: new NestPinoLogger(root) };
}

describe('NestPinoLogger', () => {
  it("should write Nest's (message, context) as JSON with the context and a level name", () => {
    const { nest, lines } = capture('log');
    nest.log('Face engine ready', 'FaceEngine');
    assert.equal(lines.length, 1);
    assert.equal(lines[0].level, 'info');
    assert.equal(lines[0].context, 'FaceEngine');
    assert.equal(lines[0].msg, 'Face engine ready');
  });

  it('should keep the stack of an error apart from its context, with or without a context', () => {
    const { nest, lines } = capture('log');
    const stack = new Error('boom').stack ?? '';
    nest.error('POST /x -> 500', stack, 'HttpErrorFilter');
    nest.error('no context', stack);
    nest.error(new Error('thrown'), 'Bootstrap');
    assert.deepEqual(
      lines.map((line) => [line.level, line.msg, line.context, line.stack]),
      [
        ['error', 'POST /x -> 500', 'HttpErrorFilter', stack],
        ['error', 'no context', undefined, stack],
        ['error', 'thrown', 'Bootstrap', undefined],
      ],
    );
    assert.match(String((lines[2].err as { stack: string }).stack), /Error: thrown/);
  });

  it('should follow LOG_LEVEL: nothing below it is written', () => {
    const { nest, lines } = capture('warn');
    nest.log('hidden');
    nest.debug('hidden');
    nest.warn('shown');
    assert.deepEqual(
      lines.map((line) => line.msg),
      ['shown'],
    );
    const verbose = capture('verbose');
    verbose.nest.verbose('shown at trace');
    assert.equal(verbose.lines[0].level, 'trace');
  });

  it('should carry the request id of the request it runs for', () => {
    const { root, nest, lines } = capture('log');
    requestLoggerStorage.run(root.child({ reqId: 'abc' }), () => nest.warn('in a request', 'X'));
    nest.warn('outside', 'X');
    assert.equal(lines[0].reqId, 'abc');
    assert.equal(lines[1].reqId, undefined);
  });

  it("should redact credential headers even when a caller logs a request's headers", () => {
    const { root, lines } = capture('log');
    root.info({ req: { headers: { authorization: 'Bearer s3cret', 'x-api-key': 'k3y' } } }, 'x');
    assert.ok(!JSON.stringify(lines).includes('s3cret'));
    assert.ok(!JSON.stringify(lines).includes('k3y'));
  });
});
