import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { routeTemplate } from '../common/route-template.js';
import { loggedPath } from './logged-path.js';
import { requestLoggerStorage } from './request-context.js';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.js';

/**
 * The one line logged per request, built field by field: no headers (API keys travel in them), no
 * body, no query string; the path (a person's name masked) and the route template, sizes, status
 * and duration.
 */
function requestLine(req: IncomingMessage, res: ServerResponse, durationMs: number): object {
  const request = req as Request;
  const requestBytes = Number(req.headers['content-length']);
  const responseBytes = Number(res.getHeader('content-length'));
  return {
    method: req.method,
    path: loggedPath(request),
    route: routeTemplate(request),
    status: res.headersSent ? res.statusCode : undefined,
    durationMs,
    requestBytes: Number.isFinite(requestBytes) ? requestBytes : undefined,
    responseBytes: Number.isFinite(responseBytes) ? responseBytes : undefined,
    // The client as TRUST_PROXY lets X-Forwarded-For name it; the connection's peer otherwise.
    remoteAddress: request.ip ?? req.socket.remoteAddress,
  };
}

const outcome = (_req: IncomingMessage, res: ServerResponse): string =>
  res.writableFinished ? 'request completed' : 'request aborted';

/**
 * Express middleware, first in the chain: gives each request its id (the client's sane
 * `X-Request-Id`, else a UUID), returns it in the `X-Request-Id` header of every response, logs one
 * line when the response ends, and runs the rest of the request with a logger bound to the id.
 */
export function requestLogging(logger: Logger): RequestHandler[] {
  const http = pinoHttp({
    logger,
    genReqId: (req, res) => {
      const id = requestIdFrom(req.headers['x-request-id']);
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    // req.log and the request line carry the id only, never pino-http's serialised req/res.
    quietReqLogger: true,
    quietResLogger: true,
    customSuccessObject: (req, res, fields: { responseTime: number }) =>
      requestLine(req, res, fields.responseTime),
    customErrorObject: (req, res, _error, fields: { responseTime: number }) =>
      requestLine(req, res, fields.responseTime),
    customSuccessMessage: outcome,
    customErrorMessage: outcome,
  });
  const enterContext = (req: Request, _res: Response, next: NextFunction): void =>
    requestLoggerStorage.run(req.log, next);
  return [http, enterContext];
}
