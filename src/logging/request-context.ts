import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

/**
 * The logger of the request being handled (bound to its request id), for everything that runs on
 * its behalf: the request middleware enters it, NestPinoLogger reads it.
 */
export const requestLoggerStorage = new AsyncLocalStorage<Logger>();
