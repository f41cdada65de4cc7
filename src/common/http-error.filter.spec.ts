import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  BadRequestException,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
  type ArgumentsHost,
  type LoggerService,
} from '@nestjs/common';
import { ERROR_REPLIES } from './error-replies.js';
import * as errors from './errors.js';
import { HttpErrorFilter } from './http-error.filter.js';

const MAX_UPLOAD_BYTES = 10_485_760;

/** What the filter did to the response: nothing at all when `status` is undefined. */
interface Answer {
  status?: number;
  body?: unknown;
  headers: Record<string, string>;
}

/** The filter's one call, through a fake ArgumentsHost over a fake request and response. */
function answer(
  error: unknown,
  {
    destroyed = false,
    headersSent = false,
    path = '/compare',
    route = undefined as string | undefined,
  } = {},
): Answer {
  const result: Answer = { headers: {} };
  const request = {
    method: 'POST',
    path,
    route: route === undefined ? undefined : { path: route },
    socket: { destroyed },
  };
  const response = {
    headersSent,
    setHeader(name: string, value: string) {
      result.headers[name] = value;
    },
    status(code: number) {
      result.status = code;
      return this;
    },
    json(body: unknown) {
      result.body = body;
    },
  };
  const http = {
    getRequest: <T>() => request as T,
    getResponse: <T>() => response as T,
    getNext: <T>() => (() => undefined) as T,
  };
  const host: ArgumentsHost = {
    getArgs: <T extends unknown[]>() => [request, response] as T,
    getArgByIndex: <T>(index: number) => [request, response][index] as T,
    switchToHttp: () => http,
    switchToRpc: () => assert.fail('not an RPC context'),
    switchToWs: () => assert.fail('not a WebSocket context'),
    getType: <T extends string>() => 'http' as T,
  };
  new HttpErrorFilter(MAX_UPLOAD_BYTES).catch(error, host);
  return result;
}

/** Nest's log calls, by level: what the filter tells the operator. */
const logged: Record<'log' | 'warn' | 'error' | 'debug', unknown[][]> = {
  log: [],
  warn: [],
  error: [],
  debug: [],
};
const recorder: LoggerService = {
  log: (...args: unknown[]) => logged.log.push(args),
  warn: (...args: unknown[]) => logged.warn.push(args),
  error: (...args: unknown[]) => logged.error.push(args),
  debug: (...args: unknown[]) => logged.debug.push(args),
};

const databaseDown = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), {
  code: 'ECONNREFUSED',
});
const RETRY_5 = { 'Retry-After': '5' };

/** Today's contract, one example of every domain error: status, detail, headers. */
const CONTRACT: Record<keyof typeof ERROR_REPLIES, [errors.DomainError, Answer]> = {
  InvalidFileExtensionError: [
    new errors.InvalidFileExtensionError('a.gif'),
    { status: 400, body: { detail: 'Invalid file extension' }, headers: {} },
  ],
  InvalidFilenameError: [
    new errors.InvalidFilenameError('a\u0000.jpg'),
    {
      status: 400,
      body: { detail: 'Filename must be printable text without control or format characters' },
      headers: {},
    },
  ],
  FilenameTooLongError: [
    new errors.FilenameTooLongError(255),
    { status: 400, body: { detail: 'Filename too long: at most 255 characters' }, headers: {} },
  ],
  InvalidQueryParameterError: [
    new errors.InvalidQueryParameterError('x', "Unknown query parameter 'x'"),
    { status: 400, body: { detail: "Unknown query parameter 'x'" }, headers: {} },
  ],
  InvalidOperatingPointError: [
    new errors.InvalidOperatingPointError('threshold and security'),
    { status: 400, body: { detail: 'Give either threshold or security, not both' }, headers: {} },
  ],
  PoorEnrolmentError: [
    new errors.PoorEnrolmentError('inter-ocular', 31.6, 40),
    {
      status: 400,
      body: {
        detail:
          'Face too small to enrol: 32 pixels between the eyes, at least 40 needed. Please ' +
          'upload a larger photo of the face.',
      },
      headers: {},
    },
  ],
  InvalidReferenceKeyError: [
    new errors.InvalidReferenceKeyError('a/b', 'path'),
    { status: 400, body: { detail: 'Invalid reference key' }, headers: {} },
  ],
  NoFaceDetectedError: [
    new errors.NoFaceDetectedError(),
    {
      status: 400,
      body: { detail: 'No face detected in the image. Please upload an image with a clear face.' },
      headers: {},
    },
  ],
  MultipleFacesError: [
    new errors.MultipleFacesError(3),
    {
      status: 400,
      body: {
        detail:
          'Multiple faces detected in the image (3). Please upload an image with a single face.',
      },
      headers: {},
    },
  ],
  InvalidImageError: [
    new errors.InvalidImageError(),
    { status: 400, body: { detail: 'Invalid image file' }, headers: {} },
  ],
  InvalidSubjectError: [
    new errors.InvalidSubjectError(100),
    {
      status: 400,
      body: { detail: 'Invalid subject: printable text of at most 100 characters' },
      headers: {},
    },
  ],
  InvalidSubjectMetadataError: [
    new errors.InvalidSubjectMetadataError(
      'metadata.tags must be a string, a number or a boolean, not an array',
    ),
    {
      status: 400,
      body: {
        detail: 'metadata.tags must be a string, a number or a boolean, not an array',
      },
      headers: {},
    },
  ],
  NotAuthenticatedError: [
    new errors.NotAuthenticatedError(),
    {
      status: 401,
      body: { detail: 'Not authenticated' },
      headers: { 'WWW-Authenticate': 'Bearer' },
    },
  ],
  ScopeMissingError: [
    new errors.ScopeMissingError('compare faces', 'verify'),
    {
      status: 403,
      body: { detail: "This key may not compare faces: it lacks the scope 'verify'" },
      headers: {},
    },
  ],
  KeyBoundToCollectionError: [
    new errors.KeyBoundToCollectionError('erase collections', 'shop'),
    {
      status: 403,
      body: {
        detail: "This key may not erase collections: it works on the collection 'shop' only",
      },
      headers: {},
    },
  ],
  KeyGrantRefusedError: [
    new errors.KeyGrantRefusedError({ scope: 'images' }),
    {
      status: 403,
      body: { detail: "This key may not grant the scope 'images': it lacks it itself" },
      headers: {},
    },
  ],
  KeyNotFoundError: [
    new errors.KeyNotFoundError('q3VxY2Fk9LmZ'),
    { status: 404, body: { detail: 'No API key found with id: q3VxY2Fk9LmZ' }, headers: {} },
  ],
  KeyExpiryInPastError: [
    new errors.KeyExpiryInPastError(),
    { status: 400, body: { detail: 'expires_at must be in the future' }, headers: {} },
  ],
  UnknownCollectionError: [
    new errors.UnknownCollectionError('kiosks'),
    { status: 400, body: { detail: 'No collection named: kiosks' }, headers: {} },
  ],
  KeysNotCheckedError: [
    new errors.KeysNotCheckedError(),
    { status: 409, body: { detail: new errors.KeysNotCheckedError().message }, headers: {} },
  ],
  ReferenceNotFoundError: [
    new errors.ReferenceNotFoundError('abc', 'image'),
    { status: 404, body: { detail: 'No reference image found with key: abc' }, headers: {} },
  ],
  SubjectNotFoundError: [
    new errors.SubjectNotFoundError('amy'),
    { status: 404, body: { detail: 'No reference found with subject: amy' }, headers: {} },
  ],
  CollectionNotFoundError: [
    new errors.CollectionNotFoundError('shop'),
    { status: 404, body: { detail: "Collection 'shop' not found" }, headers: {} },
  ],
  InvalidCollectionNameError: [
    new errors.InvalidCollectionNameError(),
    {
      status: 400,
      body: {
        detail:
          'Invalid collection name: 1 to 64 letters, digits, underscores, dots or hyphens, ' +
          'beginning with a letter or a digit',
      },
      headers: {},
    },
  ],
  CollectionExistsError: [
    new errors.CollectionExistsError('shop'),
    { status: 409, body: { detail: "Collection 'shop' already exists" }, headers: {} },
  ],
  DefaultCollectionError: [
    new errors.DefaultCollectionError(),
    {
      status: 409,
      body: {
        detail:
          "The collection 'default' cannot be deleted: requests without X-Collection work on " +
          'it; erase its people with DELETE /subjects/{subject} or DELETE /delete_reference/{key}',
      },
      headers: {},
    },
  ],
  CollectionNotAllowedError: [
    new errors.CollectionNotAllowedError('shop'),
    {
      status: 403,
      body: { detail: "This key may not work on another collection: it lacks the scope 'admin'" },
      headers: {},
    },
  ],
  InvalidIdempotencyKeyError: [
    new errors.InvalidIdempotencyKeyError(),
    {
      status: 400,
      body: { detail: 'Idempotency-Key must be 1 to 255 printable ASCII characters' },
      headers: {},
    },
  ],
  IdempotentRequestInProgressError: [
    new errors.IdempotentRequestInProgressError(3),
    {
      status: 409,
      body: {
        detail:
          'A request with this Idempotency-Key is still being processed: retry after the time ' +
          'in the Retry-After header to get its answer',
      },
      headers: { 'Retry-After': '3' },
    },
  ],
  IdempotentAnswerLostError: [
    new errors.IdempotentAnswerLostError(),
    {
      status: 409,
      body: {
        detail:
          'The request with this Idempotency-Key was carried out, but the service stopped ' +
          'before recording its answer: read the resource to see its state',
      },
      headers: {},
    },
  ],
  IdempotencyKeyReusedError: [
    new errors.IdempotencyKeyReusedError(),
    {
      status: 422,
      body: {
        detail:
          'Idempotency-Key was already used for a different request (method, path or body ' +
          'differ): use a new key for a new request',
      },
      headers: {},
    },
  ],
  ModelMismatchError: [
    new errors.ModelMismatchError('abc', 'old', 'new'),
    {
      status: 409,
      body: {
        detail:
          'Reference abc was enrolled with model old, but this service uses new; upload the ' +
          'reference photo again to compare with it',
      },
      headers: {},
    },
  ],
  UploadTooLargeError: [
    new errors.UploadTooLargeError(1000),
    {
      status: 413,
      body: { detail: 'Uploaded file is larger than the limit of 1000 bytes' },
      headers: { Connection: 'close' },
    },
  ],
  MissingFieldsError: [
    new errors.MissingFieldsError(['image', 'reference_key']),
    {
      status: 422,
      body: {
        detail: [
          { loc: ['body', 'image'], msg: 'Field required', type: 'missing' },
          { loc: ['body', 'reference_key'], msg: 'Field required', type: 'missing' },
        ],
      },
      headers: {},
    },
  ],
  TooManyFailedAttemptsError: [
    new errors.TooManyFailedAttemptsError(42),
    {
      status: 429,
      body: {
        detail:
          'Too many failed authentication attempts from this address: retry after the time in ' +
          'the Retry-After header',
      },
      headers: { 'Retry-After': '42' },
    },
  ],
  RateLimitedError: [
    new errors.RateLimitedError(7),
    {
      status: 429,
      body: {
        detail: 'Too many requests: slow down and retry after the time in the Retry-After header',
      },
      headers: { 'Retry-After': '7' },
    },
  ],
  OperationFailedError: [
    new errors.OperationFailedError('Error processing image', new TypeError('x is undefined')),
    { status: 500, body: { detail: 'Error processing image: x is undefined' }, headers: {} },
  ],
  EncryptionKeyNotConfiguredError: [
    new errors.EncryptionKeyNotConfiguredError('k1'),
    {
      status: 500,
      body: { detail: 'Stored image is encrypted with a key that is not configured' },
      headers: {},
    },
  ],
  StoredImageCorruptError: [
    new errors.StoredImageCorruptError('k1', 'altered'),
    { status: 500, body: { detail: 'Stored image failed its integrity check' }, headers: {} },
  ],
  // Answered with nothing: see the disconnected-client tests below.
  ClientDisconnectedError: [new errors.ClientDisconnectedError(), { headers: {} }],
  UploadsBusyError: [
    new errors.UploadsBusyError(),
    {
      status: 503,
      body: { detail: 'Server busy: too many uploads are arriving at once; retry shortly' },
      headers: { 'Retry-After': '5', Connection: 'close' },
    },
  ],
  AuditUnavailableError: [
    new errors.AuditUnavailableError(databaseDown),
    {
      status: 503,
      body: {
        detail:
          'Audit trail unavailable: the request could not be recorded, so it was not answered',
      },
      headers: RETRY_5,
    },
  ],
  DatabaseUnavailableError: [
    new errors.DatabaseUnavailableError(databaseDown),
    { status: 503, body: { detail: 'Database unavailable' }, headers: RETRY_5 },
  ],
  EngineBusyError: [
    new errors.EngineBusyError(),
    {
      status: 503,
      body: { detail: 'Server busy: too many images are waiting for analysis; retry shortly' },
      headers: RETRY_5,
    },
  ],
  EngineQueueTimeoutError: [
    new errors.EngineQueueTimeoutError(2000),
    {
      status: 503,
      body: { detail: 'Server busy: no worker was free within 2000 ms; retry shortly' },
      headers: RETRY_5,
    },
  ],
  EngineWorkerFailedError: [
    new errors.EngineWorkerFailedError(new Error('worker exited with code 1')),
    { status: 503, body: { detail: 'Face engine worker failed; try again' }, headers: RETRY_5 },
  ],
  InferenceTimeoutError: [
    new errors.InferenceTimeoutError(30000),
    {
      status: 503,
      body: { detail: 'Face analysis did not finish within 30000 ms; retry shortly' },
      headers: RETRY_5,
    },
  ],
  NotReadyError: [
    new errors.NotReadyError(['database', 'faceEngine']),
    { status: 503, body: { detail: 'Not ready: database; faceEngine' }, headers: RETRY_5 },
  ],
  StorageFullError: [
    new errors.StorageFullError(Object.assign(new Error('disk full'), { code: 'ER_DISK_FULL' })),
    {
      status: 507,
      body: {
        detail: 'Insufficient storage: the database has no room for this write; nothing was stored',
      },
      headers: {},
    },
  ],
};

describe('HttpErrorFilter', () => {
  before(() => {
    Logger.overrideLogger(recorder);
  });
  after(() => {
    Logger.overrideLogger(true);
  });
  beforeEach(() => {
    for (const calls of Object.values(logged)) calls.length = 0;
  });

  for (const [name, [error, expected]] of Object.entries(CONTRACT)) {
    it(`should answer ${name} with ${expected.status ?? 'nothing'}`, () => {
      assert.ok(error instanceof errors[name as keyof typeof CONTRACT]);
      assert.deepEqual(answer(error), expected);
    });
  }

  it('should answer a body too large for Nest as UploadTooLargeError, with the configured limit', () => {
    assert.deepEqual(answer(new PayloadTooLargeException()), {
      status: 413,
      body: { detail: `Uploaded file is larger than the limit of ${MAX_UPLOAD_BYTES} bytes` },
      headers: { Connection: 'close' },
    });
  });

  it('should answer an unknown route as FastAPI did: 404 "Not Found"', () => {
    assert.deepEqual(answer(new NotFoundException('Cannot GET /nowhere')), {
      status: 404,
      body: { detail: 'Not Found' },
      headers: {},
    });
  });

  it("should answer Nest's own HTTP errors with their status and messages joined", () => {
    assert.deepEqual(answer(new BadRequestException(['limit must be an integer', 'offset too'])), {
      status: 400,
      body: { detail: 'limit must be an integer; offset too' },
      headers: {},
    });
  });

  it('should answer a domain error without a rule with 500 and its message', () => {
    class UnlistedError extends errors.DomainError {}
    assert.deepEqual(answer(new UnlistedError('something specific')), {
      status: 500,
      body: { detail: 'something specific' },
      headers: {},
    });
  });

  it('should answer an unknown error with 500 "Internal server error", its stack logged, not sent', () => {
    const error = new TypeError("Cannot read properties of undefined (reading 'secret')");
    const result = answer(error);
    assert.deepEqual(result, {
      status: 500,
      body: { detail: 'Internal server error' },
      headers: {},
    });
    assert.doesNotMatch(JSON.stringify(result.body), /secret|at /);
    assert.deepEqual(logged.error, [
      ['POST /compare -> 500: "Internal server error"', error.stack, 'HttpErrorFilter'],
    ]);
  });

  it('should log the stack of what a wrapping 500 wraps, not of the wrapper', () => {
    const cause = new Error('ER_PARSE_ERROR near SELECT');
    answer(new errors.OperationFailedError('Error listing embeddings', cause));
    assert.equal(logged.error.length, 1);
    assert.equal(logged.error[0][1], cause.stack);
  });

  it('should log a 503 as one warning with its cause and no stack', () => {
    answer(new errors.DatabaseUnavailableError(databaseDown));
    answer(new errors.EngineBusyError());
    assert.deepEqual(logged.warn, [
      [
        'POST /compare -> 503: "Database unavailable" (database error (ECONNREFUSED))',
        'HttpErrorFilter',
      ],
      [
        'POST /compare -> 503: "Server busy: too many images are waiting for analysis; retry shortly"',
        'HttpErrorFilter',
      ],
    ]);
    assert.deepEqual(logged.error, []);
  });

  it("should not log a person's name from the path, at any level", () => {
    const person = { path: '/subjects/Amy%20Farrah', route: '/subjects/:subject' };
    answer(new errors.DatabaseUnavailableError(databaseDown), person);
    answer(new Error('boom'), person);
    answer(new errors.SubjectNotFoundError('Amy Farrah'), person);
    const lines = [...logged.warn, ...logged.error, ...logged.debug].map((line) => line[0]);
    assert.equal(lines.length, 3);
    for (const line of lines) {
      assert.match(String(line), /^POST \/subjects\/\[redacted\] -> /);
      assert.doesNotMatch(String(line), /Amy|Farrah/);
    }
  });

  it("should log a client's error at debug level only", () => {
    answer(new errors.NoFaceDetectedError());
    assert.deepEqual(logged.debug, [['POST /compare -> 400', 'HttpErrorFilter']]);
    assert.deepEqual([logged.warn, logged.error], [[], []]);
  });

  it('should send nothing to a client that has closed its connection, and log one line', () => {
    assert.deepEqual(answer(new errors.EngineBusyError(), { destroyed: true }), { headers: {} });
    assert.deepEqual(answer(new Error('Request aborted'), { destroyed: true }), { headers: {} });
    assert.deepEqual(answer(new errors.ClientDisconnectedError()), { headers: {} });
    assert.equal(logged.log.length, 3);
    assert.match(
      String(logged.log[1][0]),
      /^POST \/compare: client closed the connection \(Request aborted\)$/,
    );
    assert.deepEqual([logged.warn, logged.error], [[], []]);
  });

  it('should not answer twice when the response has already started', () => {
    assert.deepEqual(answer(new errors.EngineBusyError(), { headersSent: true }), { headers: {} });
  });
});
