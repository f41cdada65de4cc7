import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConsumes,
  ApiInternalServerErrorResponse,
  ApiNotFoundResponse,
  ApiPayloadTooLargeResponse,
  ApiResponse,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ErrorResponseDto, ValidationErrorResponseDto } from './dto/error-response.dto.js';

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
        'analysis over INFERENCE_TIMEOUT_MS, a failed worker, or the database unavailable; with ' +
        'Retry-After',
    }),
  );
}

/** What every endpoint naming a reference in its path documents alike: a bad key, no such key. */
export function ApiReferenceByKey(failure: string): MethodDecorator {
  return applyDecorators(
    ApiBadRequestResponse({ type: ErrorResponseDto, description: 'Invalid reference key' }),
    ApiNotFoundResponse({
      type: ErrorResponseDto,
      description: 'No reference embedding found with key',
    }),
    ApiInternalServerErrorResponse({ type: ErrorResponseDto, description: `${failure}: ...` }),
  );
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
