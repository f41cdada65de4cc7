import { Logger } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Server } from 'node:http';
import type { EnvironmentVariables } from '../config/environment.js';

/**
 * Node's own limits on the time a client takes to send its request: the headers within
 * HTTP_HEADERS_TIMEOUT_MS, the whole request within HTTP_REQUEST_TIMEOUT_MS, else 408 and the
 * connection is closed. Set before the server listens.
 */
export function applyServerTimeouts(
  server: Server,
  env: Pick<EnvironmentVariables, 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_REQUEST_TIMEOUT_MS'>,
): void {
  server.headersTimeout = env.HTTP_HEADERS_TIMEOUT_MS;
  server.requestTimeout = env.HTTP_REQUEST_TIMEOUT_MS;
  // Node looks for expired requests every 30 s by default, which let them run that much longer;
  // it reads this (untyped) property when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    Math.min(1000, env.HTTP_HEADERS_TIMEOUT_MS / 2);
}

/**
 * Closes the connection of a request whose body stops arriving for `idleMs`, with 408 when
 * nothing was answered yet: a stalled upload would otherwise hold its connection, and what it sent
 * so far, until the request timeout. Only while the body arrives: a request waiting for its
 * answer (inference may take a while) is not idle.
 */
export function bodyIdleTimeout(idleMs: number): RequestHandler {
  const logger = new Logger('SlowClients');
  return (req: Request, res: Response, next: NextFunction) => {
    const hasBody =
      req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
    if (!hasBody || req.complete) return next();
    // Node emits 'timeout' on the request only while its body is incomplete.
    req.setTimeout(idleMs, () => {
      logger.log(`${req.method} ${req.path}: no body bytes for ${idleMs} ms; connection closed`);
      if (res.headersSent) {
        req.socket.destroy();
        return;
      }
      res.setHeader('Connection', 'close');
      res.status(408).json({ detail: `Request body stalled for ${idleMs} ms` });
    });
    req.once('end', () => {
      // Once the response is over, Node runs the keep-alive timeout on this socket: leave it.
      if (!res.writableFinished) req.socket.setTimeout(0);
    });
    next();
  };
}
