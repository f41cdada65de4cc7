import { HttpStatus } from '@nestjs/common';
import * as errors from './errors.js';
import { DomainError } from './errors.js';

/** FastAPI's body for a missing field: what the old service's clients parse. */
export interface FieldErrorBody {
  loc: ['body', string];
  msg: 'Field required';
  type: 'missing';
}

/** How one error class is answered: its status, and the detail and headers when not the defaults. */
export interface ErrorReplyRule<E extends DomainError = DomainError> {
  status: HttpStatus;
  /** The body's `detail`; the error's message when absent. */
  detail?(error: E): string | FieldErrorBody[];
  headers?(error: E): Record<string, string>;
}

type ErrorsModule = typeof errors;

/** The name of every `DomainError` subclass `errors.ts` exports. */
export type DomainErrorName = Exclude<
  {
    [K in keyof ErrorsModule]: ErrorsModule[K] extends abstract new (
      ...args: never[]
    ) => DomainError
      ? K
      : never;
  }[keyof ErrorsModule],
  'DomainError'
>;

const RETRY_SHORTLY = (): Record<string, string> => ({ 'Retry-After': '5' });
const RETRY_AFTER = (error: { retryAfterSeconds: number }): Record<string, string> => ({
  'Retry-After': String(error.retryAfterSeconds),
});

/**
 * The error contract: the answer each domain error gets. Keyed by the names `errors.ts` exports, so
 * a new error class without an entry fails to compile (and `error-replies.spec.ts` fails at run
 * time), instead of silently becoming a 500.
 */
export const ERROR_REPLIES: {
  readonly [K in DomainErrorName]: ErrorReplyRule<InstanceType<ErrorsModule[K]>>;
} = {
  InvalidFileExtensionError: { status: HttpStatus.BAD_REQUEST },
  InvalidFilenameError: { status: HttpStatus.BAD_REQUEST },
  FilenameTooLongError: { status: HttpStatus.BAD_REQUEST },
  InvalidQueryParameterError: { status: HttpStatus.BAD_REQUEST },
  InvalidOperatingPointError: { status: HttpStatus.BAD_REQUEST },
  PoorEnrolmentError: { status: HttpStatus.BAD_REQUEST },
  InvalidReferenceKeyError: { status: HttpStatus.BAD_REQUEST },
  NoFaceDetectedError: { status: HttpStatus.BAD_REQUEST },
  MultipleFacesError: { status: HttpStatus.BAD_REQUEST },
  InvalidImageError: { status: HttpStatus.BAD_REQUEST },
  InvalidSubjectError: { status: HttpStatus.BAD_REQUEST },
  InvalidSubjectMetadataError: { status: HttpStatus.BAD_REQUEST },
  InvalidCollectionNameError: { status: HttpStatus.BAD_REQUEST },

  NotAuthenticatedError: {
    status: HttpStatus.UNAUTHORIZED,
    headers: () => ({ 'WWW-Authenticate': 'Bearer' }),
  },
  InvalidIdempotencyKeyError: { status: HttpStatus.BAD_REQUEST },
  UnknownCollectionError: { status: HttpStatus.BAD_REQUEST },
  KeyExpiryInPastError: { status: HttpStatus.BAD_REQUEST },
  ScopeMissingError: { status: HttpStatus.FORBIDDEN },
  KeyBoundToCollectionError: { status: HttpStatus.FORBIDDEN },
  KeyGrantRefusedError: { status: HttpStatus.FORBIDDEN },
  KeyNotFoundError: { status: HttpStatus.NOT_FOUND },
  KeysNotCheckedError: { status: HttpStatus.CONFLICT },
  ReferenceNotFoundError: { status: HttpStatus.NOT_FOUND },
  SubjectNotFoundError: { status: HttpStatus.NOT_FOUND },
  CollectionNotFoundError: { status: HttpStatus.NOT_FOUND },
  CollectionNotAllowedError: { status: HttpStatus.FORBIDDEN },
  CollectionExistsError: { status: HttpStatus.CONFLICT },
  DefaultCollectionError: { status: HttpStatus.CONFLICT },
  IdempotentRequestInProgressError: { status: HttpStatus.CONFLICT, headers: RETRY_AFTER },
  IdempotentAnswerLostError: { status: HttpStatus.CONFLICT },
  IdempotencyKeyReusedError: { status: HttpStatus.UNPROCESSABLE_ENTITY },
  ModelMismatchError: { status: HttpStatus.CONFLICT },
  UploadTooLargeError: {
    status: HttpStatus.PAYLOAD_TOO_LARGE,
    // Kept open, the connection would read the rest of the body, however large it says it is.
    headers: () => ({ Connection: 'close' }),
  },
  MissingFieldsError: {
    status: HttpStatus.UNPROCESSABLE_ENTITY,
    detail: ({ fields }) =>
      fields.map((field) => ({ loc: ['body', field], msg: 'Field required', type: 'missing' })),
  },
  TooManyFailedAttemptsError: { status: HttpStatus.TOO_MANY_REQUESTS, headers: RETRY_AFTER },
  RateLimitedError: { status: HttpStatus.TOO_MANY_REQUESTS, headers: RETRY_AFTER },

  OperationFailedError: { status: HttpStatus.INTERNAL_SERVER_ERROR },
  EncryptionKeyNotConfiguredError: { status: HttpStatus.INTERNAL_SERVER_ERROR },
  StoredImageCorruptError: { status: HttpStatus.INTERNAL_SERVER_ERROR },
  // Never sent: nobody is left to read it. The filter only logs it.
  ClientDisconnectedError: { status: HttpStatus.INTERNAL_SERVER_ERROR },
  UploadsBusyError: {
    status: HttpStatus.SERVICE_UNAVAILABLE,
    // Closing the connection spares reading much of a body that is not wanted (the server reads
    // and drops what keeps arriving for a few seconds, so that the answer is not reset).
    headers: () => ({ 'Retry-After': '5', Connection: 'close' }),
  },
  DatabaseUnavailableError: { status: HttpStatus.SERVICE_UNAVAILABLE, headers: RETRY_SHORTLY },
  AuditUnavailableError: { status: HttpStatus.SERVICE_UNAVAILABLE, headers: RETRY_SHORTLY },
  EngineBusyError: { status: HttpStatus.SERVICE_UNAVAILABLE, headers: RETRY_SHORTLY },
  EngineQueueTimeoutError: { status: HttpStatus.SERVICE_UNAVAILABLE, headers: RETRY_SHORTLY },
  EngineWorkerFailedError: { status: HttpStatus.SERVICE_UNAVAILABLE, headers: RETRY_SHORTLY },
  InferenceTimeoutError: { status: HttpStatus.SERVICE_UNAVAILABLE, headers: RETRY_SHORTLY },
  NotReadyError: { status: HttpStatus.SERVICE_UNAVAILABLE, headers: RETRY_SHORTLY },
  StorageFullError: { status: HttpStatus.INSUFFICIENT_STORAGE },
};

const RULES = new Map<unknown, ErrorReplyRule>(
  (Object.entries(ERROR_REPLIES) as [DomainErrorName, ErrorReplyRule][]).map(([name, rule]) => [
    errors[name],
    rule,
  ]),
);

/** The rule for the error's class, or for the nearest class it extends that has one. */
export function errorReplyRule(error: DomainError): ErrorReplyRule | undefined {
  for (
    let type: unknown = error.constructor;
    type && type !== DomainError;
    type = Object.getPrototypeOf(type)
  ) {
    const rule = RULES.get(type);
    if (rule) return rule;
  }
  return undefined;
}
