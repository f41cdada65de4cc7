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
import {
  ClientDisconnectedError,
  DatabaseUnavailableError,
  describeCause,
  DomainError,
  EngineBusyError,
  EngineQueueTimeoutError,
  EngineWorkerFailedError,
  InferenceTimeoutError,
  FilenameTooLongError,
  InvalidFileExtensionError,
  InvalidFilenameError,
  InvalidOperatingPointError,
  InvalidQueryParameterError,
  PoorEnrolmentError,
  InvalidImageError,
  InvalidReferenceKeyError,
  MissingFieldsError,
  ModelMismatchError,
  MultipleFacesError,
  NotAuthenticatedError,
  NotReadyError,
  NoFaceDetectedError,
  OperationFailedError,
  RateLimitedError,
  ReferenceNotFoundError,
  StorageFullError,
  TooManyFailedAttemptsError,
  UploadsBusyError,
  UploadTooLargeError,
} from './errors.js';

/** FastAPI's body for a missing field: what the old service's clients parse. */
export interface FieldErrorBody {
  loc: ['body', string];
  msg: 'Field required';
  type: 'missing';
}

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

    if (error instanceof ClientDisconnectedError || request.socket.destroyed) {
      // Nobody is left to answer (multer's "Request aborted" mid-upload, or the check before an
      // upload is stored): a line for the operator, no stack, no response.
      this.logger.log(
        `${request.method} ${request.path}: client closed the connection (${describeCause(error)})`,
      );
      return;
    }
    if (reply.status === 503) {
      // Overload or a slow image: expected under load, worth a line but not a stack.
      const cause =
        error instanceof DatabaseUnavailableError || error instanceof EngineWorkerFailedError
          ? ` (${describeCause(error.cause)})`
          : '';
      this.logger.warn(
        `${request.method} ${request.path} -> 503: ${JSON.stringify(reply.detail)}${cause}`,
      );
    } else if (reply.status >= 500) {
      const stack =
        error instanceof OperationFailedError || error instanceof StorageFullError
          ? error.cause
          : error;
      this.logger.error(
        `${request.method} ${request.path} -> ${reply.status}: ${JSON.stringify(reply.detail)}`,
        stack instanceof Error ? stack.stack : String(stack),
      );
    } else {
      this.logger.debug(`${request.method} ${request.path} -> ${reply.status}`);
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
    if (error instanceof MissingFieldsError) {
      return {
        status: HttpStatus.UNPROCESSABLE_ENTITY,
        detail: error.fields.map((field) => ({
          loc: ['body', field],
          msg: 'Field required',
          type: 'missing',
        })),
      };
    }
    if (error instanceof ReferenceNotFoundError) {
      return { status: HttpStatus.NOT_FOUND, detail: error.message };
    }
    if (error instanceof UploadsBusyError) {
      // Closing the connection spares reading much of a body that is not wanted (the server reads
      // and drops what keeps arriving for a few seconds, so that the answer is not reset).
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        detail: error.message,
        headers: { 'Retry-After': '5', Connection: 'close' },
      };
    }
    if (
      error instanceof DatabaseUnavailableError ||
      error instanceof EngineBusyError ||
      error instanceof EngineQueueTimeoutError ||
      error instanceof EngineWorkerFailedError ||
      error instanceof InferenceTimeoutError ||
      error instanceof NotReadyError
    ) {
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        detail: error.message,
        headers: { 'Retry-After': '5' },
      };
    }
    if (error instanceof StorageFullError) {
      return { status: HttpStatus.INSUFFICIENT_STORAGE, detail: error.message };
    }
    if (error instanceof NotAuthenticatedError) {
      return {
        status: HttpStatus.UNAUTHORIZED,
        detail: error.message,
        headers: { 'WWW-Authenticate': 'Bearer' },
      };
    }
    if (error instanceof TooManyFailedAttemptsError || error instanceof RateLimitedError) {
      return {
        status: HttpStatus.TOO_MANY_REQUESTS,
        detail: error.message,
        headers: { 'Retry-After': String(error.retryAfterSeconds) },
      };
    }
    if (error instanceof ModelMismatchError) {
      return { status: HttpStatus.CONFLICT, detail: error.message };
    }
    if (error instanceof UploadTooLargeError) {
      // Kept open, the connection would read the rest of the body, however large it says it is.
      return {
        status: HttpStatus.PAYLOAD_TOO_LARGE,
        detail: error.message,
        headers: { Connection: 'close' },
      };
    }
    if (
      error instanceof InvalidFileExtensionError ||
      error instanceof InvalidFilenameError ||
      error instanceof FilenameTooLongError ||
      error instanceof InvalidOperatingPointError ||
      error instanceof InvalidQueryParameterError ||
      error instanceof PoorEnrolmentError ||
      error instanceof InvalidReferenceKeyError ||
      error instanceof NoFaceDetectedError ||
      error instanceof MultipleFacesError ||
      error instanceof InvalidImageError
    ) {
      return { status: HttpStatus.BAD_REQUEST, detail: error.message };
    }
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, detail: error.message };
  }
}
