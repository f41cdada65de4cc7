import { Logger } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { channel } from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
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

const hasBody = (req: Request): boolean =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;

/** Answers 408 and closes the connection, or only closes it when an answer has begun. */
function cutSlowBody(req: Request, res: Response, detail: string): void {
  if (res.headersSent) {
    req.socket.destroy();
    return;
  }
  res.setHeader('Connection', 'close');
  res.status(408).json({ detail });
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
    if (!hasBody(req) || req.complete) return next();
    // Node emits 'timeout' on the request only while its body is incomplete.
    req.setTimeout(idleMs, () => {
      logger.log(`${req.method} ${req.path}: no body bytes for ${idleMs} ms; connection closed`);
      cutSlowBody(req, res, `Request body stalled for ${idleMs} ms`);
    });
    req.once('end', () => {
      // Once the response is over, Node runs the keep-alive timeout on this socket: leave it.
      if (!res.writableFinished) req.socket.setTimeout(0);
    });
    next();
  };
}

/**
 * Cuts a request whose body arrives slower than `minBytesPerSecond`, measured over each `windowMs`
 * while it arrives, with 408 and a closed connection, as reverse proxies do (Apache
 * mod_reqtimeout's MinRate). The idle timeout alone lets a body that sends a byte just before each
 * pause runs out keep its connection, and its share of the upload budget, until the request
 * timeout; this frees the budget at the end of the first window that carried too little. The
 * first window is the body's grace; 0 turns it off. Counted from the bytes Node has read from the
 * socket, which every body that is being read keeps growing, without touching the body stream
 * that multer reads. Ends once the body has arrived or an answer has begun (a refused upload's
 * linger has limits of its own).
 */
export function bodyMinRate({
  minBytesPerSecond,
  windowMs,
}: {
  minBytesPerSecond: number;
  windowMs: number;
}): RequestHandler {
  const logger = new Logger('SlowClients');
  const minBytes = Math.ceil((minBytesPerSecond * windowMs) / 1000);
  return (req: Request, res: Response, next: NextFunction) => {
    if (minBytesPerSecond === 0 || !hasBody(req) || req.complete) return next();
    const { socket } = req;
    let readBefore = socket.bytesRead;
    const timer = setTimeout(() => {
      if (req.complete || res.headersSent) return;
      const read = socket.bytesRead - readBefore;
      if (read >= minBytes) {
        readBefore += read;
        timer.refresh();
        return;
      }
      logger.log(
        `${req.method} ${req.path}: ${read} body bytes in ${windowMs} ms, under ` +
          `${minBytesPerSecond} per second; connection closed`,
      );
      cutSlowBody(
        req,
        res,
        `Request body arrived too slowly: ${read} bytes in ${windowMs} ms, under ` +
          `${minBytesPerSecond} bytes per second`,
      );
    }, windowMs);
    const stop = () => clearTimeout(timer);
    req.once('end', stop);
    res.once('finish', stop);
    res.once('close', stop);
    next();
  };
}

/** What Node publishes on `http.server.response.finish`, just before it closes or reuses the socket. */
interface ResponseFinish {
  request: IncomingMessage;
  socket: Socket;
  server: Server;
}

const responseFinished = channel('http.server.response.finish');

/**
 * Closes a connection whose response went out before its request body was read (an upload
 * refused from its Content-Length, a body cut at the budget) in stages, as RFC 9112 section 9.6
 * asks: the answer and a FIN go out, the rest of the body is read and dropped, and the socket is
 * closed once the client closes its side, stops sending for `idleMs`, or after `maxMs` in all.
 * Closing at once would make the kernel answer the bytes still arriving with a reset: a client
 * that reads its answer only once its body is sent, or gives up when a write fails (Node's fetch
 * does), gets a connection error instead of its 503. Connections whose request was read to its
 * end close as Node closes them.
 */
export function lingerOnEarlyClose(
  server: Server,
  { idleMs, maxMs }: { idleMs: number; maxMs: number },
): void {
  const lingering = new Set<Socket>();
  const onFinish = (message: unknown) => {
    const { request, socket, server: from } = message as ResponseFinish;
    if (from !== server || request.complete) return;
    // Node calls destroySoon right after this message when the response closes the connection;
    // a response that keeps it open reads the rest of the body as the next request's prelude.
    socket.destroySoon = () => {
      lingering.add(socket);
      socket.once('close', () => lingering.delete(socket));
      linger(socket, request, idleMs, maxMs);
    };
  };
  responseFinished.subscribe(onFinish);
  server.once('close', () => responseFinished.unsubscribe(onFinish));
  // Their answer is out, so they are idle: closing the server (a shutdown) closes them at once
  // rather than waiting for them, as Node does with idle keep-alive connections.
  const closeIdleConnections = server.closeIdleConnections.bind(server);
  server.closeIdleConnections = () => {
    closeIdleConnections();
    for (const socket of lingering) socket.destroy();
  };
}

function linger(socket: Socket, request: IncomingMessage, idleMs: number, maxMs: number): void {
  const close = () => socket.destroy();
  const deadline = setTimeout(close, maxMs);
  socket.once('close', () => clearTimeout(deadline));
  socket.once('end', close);
  socket.setTimeout(idleMs);
  socket.once('timeout', close);
  socket.end();
  // Its answer is out: a pause now ends the linger, not a request (the body idle timeout's 408
  // and its log line are for requests still waiting for their body).
  request.removeAllListeners('timeout');
  // Node drops the body of a request nobody reads; one a reader gave up on must flow too.
  request.resume();
}
