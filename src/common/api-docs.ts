import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiConsumes,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiHeader,
  ApiInternalServerErrorResponse,
  ApiNotFoundResponse,
  ApiPayloadTooLargeResponse,
  ApiResponse,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { ErrorResponseDto, ValidationErrorResponseDto } from './dto/error-response.dto.js';
import {
  IdempotencyKeyReusedError,
  IdempotentRequestInProgressError,
  InvalidIdempotencyKeyError,
} from './errors.js';

/** A controller behind API_KEYS and the rate limit: the Authorize button and their answers. */
export function ApiProtected(): ClassDecorator {
  return applyDecorators(
    ApiSecurity('api-key'),
    ApiBearerAuth('bearer'),
    ApiUnauthorizedResponse({
      type: ErrorResponseDto,
      description: 'Not authenticated (API_KEYS set)',
    }),
    ApiTooManyRequestsResponse({
      type: ErrorResponseDto,
      description:
        'Over RATE_LIMIT_PER_MINUTE (all routes), RATE_LIMIT_INFERENCE_PER_MINUTE (routes that ' +
        'analyse a photo) or AUTH_FAILURES_PER_MINUTE (failed API keys from the address)',
    }),
  );
}

/**
 * A controller whose routes work in the request's collection: the X-Collection header, the 403
 * of a key bound to another collection, and the 404 of a collection that does not exist.
 */
export function ApiInCollection(): ClassDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'X-Collection',
      required: false,
      description:
        'The collection to work in: absent, the API key’s own, or `default` for a key that may ' +
        'name any (every key of API_KEYS, and every request with API_KEYS unset). 404 `Collection ' +
        "'x' not found` when it does not exist; 400 when it is no collection name (1 to 64 " +
        'letters, digits, `_`, `.` or `-`, beginning with a letter or a digit).',
      schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', example: 'default' },
    }),
    ApiForbiddenResponse({
      type: ErrorResponseDto,
      description:
        "This key may not work on another collection: it lacks the scope 'admin' (a key bound " +
        'to one collection named another in X-Collection)',
    }),
    // A route's own 404 replaces this one in the document; the answer stays possible there too.
    ApiNotFoundResponse({
      type: ErrorResponseDto,
      description: "Collection 'x' not found (X-Collection names none)",
    }),
  );
}

/** What every endpoint that takes a photo in a multipart form documents alike. */
export function ApiPhotoForm(answers: {
  badRequest: string;
  missingFields: string;
}): MethodDecorator {
  return applyDecorators(
    ApiConsumes('multipart/form-data'),
    ApiBadRequestResponse({ type: ErrorResponseDto, description: answers.badRequest }),
    ApiPayloadTooLargeResponse({
      type: ErrorResponseDto,
      description: 'Upload over MAX_UPLOAD_BYTES',
    }),
    ApiUnprocessableEntityResponse({
      type: ValidationErrorResponseDto,
      description: answers.missingFields,
    }),
    ApiInternalServerErrorResponse({
      type: ErrorResponseDto,
      description: 'Error processing image: ...',
    }),
    ApiServiceUnavailableResponse({
      type: ErrorResponseDto,
      description:
        'Server busy (FACE_QUEUE_LIMIT, FACE_QUEUE_TIMEOUT_MS, MAX_INFLIGHT_UPLOAD_BYTES or the ' +
        "client's share of it), an " +
        'analysis over INFERENCE_TIMEOUT_MS, a failed worker, the database unavailable, or the ' +
        'audit trail unable to record the request; with Retry-After',
    }),
  );
}

/**
 * What every endpoint naming a reference in its path documents alike: a bad key, no such key.
 * `badRequest` adds the route's other 400s.
 */
export function ApiReferenceByKey(failure: string, badRequest?: string): MethodDecorator {
  return applyDecorators(
    ApiBadRequestResponse({
      type: ErrorResponseDto,
      description: ['Invalid reference key', badRequest].filter(Boolean).join('; '),
    }),
    ApiNotFoundResponse({
      type: ErrorResponseDto,
      description: 'No reference embedding found with key',
    }),
    ApiInternalServerErrorResponse({ type: ErrorResponseDto, description: `${failure}: ...` }),
  );
}

/** A read of biometric data is answered only once it is in the audit trail. */
export function ApiAuditedRead(): MethodDecorator {
  return ApiServiceUnavailableResponse({
    type: ErrorResponseDto,
    description:
      'Audit trail unavailable: the request could not be recorded, so it was not answered; ' +
      'or the database unavailable; with Retry-After',
  });
}

/** What every endpoint that writes to the store documents: a store with no room left. */
export function ApiStoreWrite(): MethodDecorator {
  return ApiResponse({
    status: 507,
    type: ErrorResponseDto,
    description:
      'Insufficient storage: the database has no room for this write (disk, tablespace); nothing ' +
      'was stored',
  });
}

/** The 400 of a route with `@Idempotent()`, for its list of 400s. */
export const IDEMPOTENCY_KEY_INVALID = new InvalidIdempotencyKeyError().message;

const KEY_REUSED =
  'Idempotency-Key already used for a different request (method, path or body differ)';
const KEY_REUSED_EXAMPLE = { detail: new IdempotencyKeyReusedError().message };

/**
 * What every route that honours Idempotency-Key documents: the header, 409 while the first request
 * with the key runs, and 422 for the key reused. `withMissingFields`: the route has a 422 of its
 * own (missing form fields): the schema then admits both bodies.
 */
export function ApiIdempotent({ withMissingFields = false } = {}): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        '1 to 255 printable ASCII characters, new for each new request (a UUID). A retry with ' +
        'the same key and the same request within IDEMPOTENCY_TTL_SECONDS (a day by default) ' +
        'gets the first answer again, with `Idempotent-Replayed: true`, and changes nothing; ' +
        'only successful answers are kept. Keys are per API key.',
      schema: {
        type: 'string',
        minLength: 1,
        maxLength: 255,
        example: '7c1e3b5e-4a5f-4c1e-9a53-2f0c9d2b6e11',
      },
    }),
    ApiConflictResponse({
      type: ErrorResponseDto,
      description:
        'A request with this Idempotency-Key is still being processed: retry after Retry-After ' +
        'to get its answer (or, rarely, it was carried out but the service stopped before ' +
        'recording its answer: no Retry-After then)',
      headers: { 'Retry-After': { description: 'Seconds', schema: { type: 'integer' } } },
      example: { detail: new IdempotentRequestInProgressError(1).message },
    }),
    ApiExtraModels(ErrorResponseDto, ValidationErrorResponseDto),
    ApiUnprocessableEntityResponse(
      !withMissingFields
        ? { type: ErrorResponseDto, description: KEY_REUSED, example: KEY_REUSED_EXAMPLE }
        : {
            // Swagger joins this to the route's own 422 description.
            description: `${KEY_REUSED} (\`{"detail": "..."}\`)`,
            schema: {
              oneOf: [
                { $ref: getSchemaPath(ValidationErrorResponseDto) },
                { $ref: getSchemaPath(ErrorResponseDto) },
              ],
              example: KEY_REUSED_EXAMPLE,
            },
          },
    ),
  );
}
