import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { Audited } from '../audit/audited.decorator.js';
import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiPhotoForm, ApiInCollection, ApiProtected } from '../common/api-docs.js';
import { ErrorResponseDto } from '../common/dto/error-response.dto.js';
import { Photo, PhotoForm, type UploadedImage } from '../common/photo-form.js';
import { parsedFields } from '../common/validation.js';
import { InferenceRoute } from '../rate-limit/inference-route.decorator.js';
import { SubjectVerifyDto } from './dto/requests.dto.js';
import { SubjectVerifyResponseDto, toPersonVerificationResult } from './dto/responses.dto.js';
import { ReferencesService } from './references.service.js';
import { InCollection } from '../collections/collection.decorators.js';

/** Verdicts on a person (a subject) from all their references at once, not one photo. */
@ApiTags('subjects')
@ApiProtected()
@ApiInCollection()
@Controller()
export class PersonVerificationController {
  constructor(private readonly references: ReferencesService) {}

  @Post('subjects/:subject/verify')
  @RequiresScope('verify', 'verify persons')
  @Audited('person-verify')
  @HttpCode(200)
  @InferenceRoute()
  @PhotoForm({ photos: ['image'] })
  @ApiOperation({
    summary: 'Say whether the face in a photo is the person enrolled under a subject',
    description:
      "The face the photo is about is judged against all the subject's references, combined " +
      'by the rule measured best on real-world photos (docs/recognition.md); the default ' +
      'threshold and `far` come from the person-level calibration for that many references.',
  })
  @ApiParam({ name: 'subject', example: 'amy', description: 'As given to /upload_reference' })
  @ApiBody({ type: SubjectVerifyDto })
  @ApiOkResponse({ type: SubjectVerifyResponseDto })
  @ApiNotFoundResponse({
    type: ErrorResponseDto,
    description: 'No reference found with subject: amy',
  })
  @ApiConflictResponse({
    type: ErrorResponseDto,
    description: 'A reference of the subject made by another model',
  })
  @ApiPhotoForm({
    badRequest:
      'Invalid file extension; Filename must be printable text; Invalid image file; ' +
      'No face detected in the image.; Give either threshold or security, not both',
    missingFields: 'No image field',
  })
  async verifySubject(
    @InCollection() collection: string,
    @Param('subject') subject: string,
    @Photo('image') image: UploadedImage,
    @Body(parsedFields) { threshold, security }: SubjectVerifyDto,
  ): Promise<SubjectVerifyResponseDto> {
    const verdict = await this.references.verifySubject(collection, image, subject, {
      threshold,
      security,
    });
    return { subject, result: toPersonVerificationResult(verdict) };
  }
}
