import type { LoggerService } from '@nestjs/common';
import type { Level, Logger } from 'pino';
import { requestLoggerStorage } from './request-context.js';

const STACK = /\n\s+at /;

/**
 * Nest's `Logger` calls, written by pino: `new Logger('X').log(msg)` becomes
 * `{"level":"info","context":"X","msg":...}`, with the request id when it runs for a request.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const logger = requestLoggerStorage.getStore() ?? this.root;
    if (!logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    // Nest passes (message, context) or, for errors, (message, stack, context); a Logger without
    // a context of its own may pass just (message, stack).
    const strings = params.filter((param): param is string => typeof param === 'string');
    if (strings.length > 0 && !STACK.test(strings.at(-1) ?? '')) fields.context = strings.pop();
    if (strings.length > 0) fields.stack = strings.join('\n');
    if (message instanceof Error) {
      fields.err = message;
      logger[level](fields, message.message);
    } else if (typeof message === 'object' && message !== null) {
      logger[level]({ ...fields, ...message });
    } else {
      logger[level](fields, String(message));
    }
  }
}
