import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ClientDisconnectedError } from './errors.js';

/**
 * An AbortSignal that aborts (with `ClientDisconnectedError`) when the client closes the
 * connection before the response is sent, so a handler can drop work nobody will receive.
 */
export const ClientGoneSignal = createParamDecorator(
  (_: unknown, context: ExecutionContext): AbortSignal => {
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const controller = new AbortController();
    const abort = () => controller.abort(new ClientDisconnectedError());
    if (request.socket.destroyed) {
      abort();
    } else {
      // 'close' on the response: the request's own 'close' only means its body was read.
      response.once('close', () => {
        if (!response.writableFinished) abort();
      });
    }
    return controller.signal;
  },
);
