import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { maskPath } from '../logging/logged-path.js';
import { routeTemplate } from './route-template.js';
import { errorReplyRule, type FieldErrorBody } from './error-replies.js';
import {
  ClientDisconnectedError,
  describeCause,
  DomainError,
  UploadTooLargeError,
} from './errors.js';

const ROUTE_NOT_FOUND = /^Cannot [A-Z]+ \//;

interface ErrorReply {
  status: number;
  detail: string | FieldErrorBody[];
  headers?: Record<string, string>;
}

/**
 * The one place that turns errors into HTTP answers: `{"detail": ...}` bodies with the status codes
 * of the documented contract. Anything unexpected becomes a 500 whose stack stays in the log.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  constructor(private readonly maxUploadBytes: number) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const reply = this.toReply(error);
    // A person's name in the path is not logged.
    const path = maskPath(request.path, routeTemplate(request));

    if (error instanceof ClientDisconnectedError || request.socket.destroyed) {
      // Nobody is left to answer (multer's "Request aborted" mid-upload, or the check before an
      // upload is stored): a line for the operator, no stack, no response.
      this.logger.log(
        `${request.method} ${path}: client closed the connection (${describeCause(error)})`,
      );
      return;
    }
    if (reply.status === 503) {
      // Overload or a slow image: expected under load, worth a line but not a stack.
      const cause = hasCause(error) ? ` (${describeCause(error.cause)})` : '';
      this.logger.warn(`${request.method} ${path} -> 503: ${JSON.stringify(reply.detail)}${cause}`);
    } else if (reply.status >= 500) {
      const stack = hasCause(error) ? error.cause : error;
      this.logger.error(
        `${request.method} ${path} -> ${reply.status}: ${JSON.stringify(reply.detail)}`,
        stack instanceof Error ? stack.stack : String(stack),
      );
    } else {
      this.logger.debug(`${request.method} ${path} -> ${reply.status}`);
    }
    if (response.headersSent) return;
    for (const [name, value] of Object.entries(reply.headers ?? {}))
      response.setHeader(name, value);
    response.status(reply.status).json({ detail: reply.detail });
  }

  private toReply(error: unknown): ErrorReply {
    if (error instanceof DomainError) return this.fromDomainError(error);
    if (error instanceof PayloadTooLargeException) {
      return this.fromDomainError(new UploadTooLargeError(this.maxUploadBytes));
    }
    if (error instanceof NotFoundException && ROUTE_NOT_FOUND.test(error.message)) {
      // Nest says "Cannot GET /x"; the old FastAPI service said "Not Found".
      return { status: HttpStatus.NOT_FOUND, detail: 'Not Found' };
    }
    if (error instanceof HttpException) {
      const body = error.getResponse();
      const message: unknown =
        typeof body === 'string'
          ? body
          : ((body as { message?: unknown }).message ?? error.message);
      return {
        status: error.getStatus(),
        detail: Array.isArray(message)
          ? message.join('; ')
          : typeof message === 'string'
            ? message
            : error.message,
      };
    }
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, detail: 'Internal server error' };
  }

  private fromDomainError(error: DomainError): ErrorReply {
    // A domain error without a rule (one not exported from errors.ts) still answers 500.
    const rule = errorReplyRule(error) ?? { status: HttpStatus.INTERNAL_SERVER_ERROR };
    return {
      status: rule.status,
      detail: rule.detail?.(error) ?? error.message,
      headers: rule.headers?.(error),
    };
  }
}

/** A domain error that wraps what went wrong: the log names that, not the wrapper. */
function hasCause(error: unknown): error is DomainError & { cause: unknown } {
  return error instanceof DomainError && 'cause' in error;
}
