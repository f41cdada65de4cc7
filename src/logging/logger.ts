import { pino, stdTimeFunctions, type DestinationStream, type Level, type Logger } from 'pino';
import PinoPretty from 'pino-pretty';
import type { LogLevelSetting } from '../config/environment.js';

/** Nest's level names (what LOG_LEVEL takes) to pino's. */
const PINO_LEVEL: Record<LogLevelSetting, Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * Never written, whatever object a log call is given. The request line is built field by field
 * (see request-logging.ts) and carries no headers at all; these paths catch a careless call.
 */
const REDACTED = [
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
];

/**
 * The service's one logger: JSON lines on stdout, or human-readable lines when stdout is a
 * terminal. `destination` replaces stdout (tests capture the lines with it).
 */
export function createLogger(level: LogLevelSetting, destination?: DestinationStream): Logger {
  const options = {
    level: PINO_LEVEL[level],
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: REDACTED, censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  if (process.stdout.isTTY) {
    // In-process and synchronous, so the lines written just before process.exit are not lost.
    return pino(
      options,
      PinoPretty({
        sync: true,
        singleLine: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,context',
        messageFormat: '{if context}[{context}] {end}{msg}',
      }),
    );
  }
  return pino(options);
}
