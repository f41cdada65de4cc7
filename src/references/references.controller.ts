import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { Audited } from '../audit/audited.decorator.js';
import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  StreamableFile,
} from '@nestjs/common';
import type { Response } from 'express';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiInternalServerErrorResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiAuditedRead,
  ApiPhotoForm,
  ApiInCollection,
  ApiProtected,
  ApiReferenceByKey,
  ApiStoreWrite,
  IDEMPOTENCY_KEY_INVALID,
} from '../common/api-docs.js';
import { ErrorResponseDto } from '../common/dto/error-response.dto.js';
import { Photo, PhotoForm, type UploadedImage } from '../common/photo-form.js';
import { InferenceRoute } from '../rate-limit/inference-route.decorator.js';
import { parsedFields } from '../common/validation.js';
import {
  CompareWithReferenceDto,
  FaceQueryDto,
  ListReferencesQueryDto,
  UploadReferenceDto,
  VerifyDto,
} from './dto/requests.dto.js';
import { ClientGoneSignal } from '../common/client-gone-signal.decorator.js';
import { answerBeforeCommit } from '../idempotency/answer.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import {
  CompareWithReferenceResponseDto,
  DeleteReferenceResponseDto,
  ListReferencesResponseDto,
  ListSubjectsResponseDto,
  ReferenceMetadataDto,
  toReferenceMetadata,
  toUploadReferenceResponse,
  toVerificationResult,
  UploadReferenceResponseDto,
  VerifyResponseDto,
} from './dto/responses.dto.js';
import { FACE_SIZE_DEFAULT, FaceThumbnails } from './face-thumbnails.service.js';
import { ReferencesService } from './references.service.js';
import { InCollection } from '../collections/collection.decorators.js';

@ApiTags('references')
@ApiProtected()
@ApiInCollection()
@Controller()
export class ReferencesController {
  constructor(
    private readonly references: ReferencesService,
    private readonly faces: FaceThumbnails,
  ) {}

  @Post('upload_reference')
  @RequiresScope('enrol', 'enrol faces')
  @Audited('enrol')
  @HttpCode(200)
  @InferenceRoute()
  @Idempotent({ withMissingFields: true })
  @PhotoForm({ photos: ['image'] })
  @ApiOperation({ summary: 'Enrol the face in a photo and store it under a new key' })
  @ApiBody({ type: UploadReferenceDto })
  @ApiOkResponse({ type: UploadReferenceResponseDto })
  @ApiPhotoForm({
    badRequest:
      'Invalid file extension; Filename must be printable text; ' +
      'Invalid image file; No face detected in the image.; ' +
      'Multiple faces detected in the image (n).; ' +
      IDEMPOTENCY_KEY_INVALID,
    missingFields: 'No image field',
  })
  @ApiStoreWrite()
  async uploadReference(
    @InCollection() collection: string,
    @Photo('image') image: UploadedImage,
    @Body() body: UploadReferenceDto,
    @ClientGoneSignal() clientGone: AbortSignal,
  ): Promise<UploadReferenceResponseDto> {
    const enrolment = await this.references.upload(
      collection,
      image,
      {
        subject: body.subject?.trim() || null,
        multiFacePolicy: body.multi_face_policy,
        beforeStore: (enrolled) => answerBeforeCommit(toUploadReferenceResponse(enrolled)),
      },
      clientGone,
    );
    return toUploadReferenceResponse(enrolment);
  }

  @Post('compare_with_reference')
  @RequiresScope('verify', 'compare faces')
  @Audited('compare')
  @HttpCode(200)
  @InferenceRoute()
  @PhotoForm({ photos: ['image'], required: ['reference_key'] })
  @ApiOperation({ summary: 'Say whether the face in a photo is the person stored under a key' })
  @ApiBody({ type: CompareWithReferenceDto })
  @ApiOkResponse({ type: CompareWithReferenceResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No reference image found with key' })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Reference made by another model' })
  @ApiPhotoForm({
    badRequest:
      'Invalid file extension; Filename must be printable text; ' +
      'Reference key must be alphanumeric; Invalid image file; ' +
      'No face detected in the image.',
    missingFields: 'No image or no reference_key field',
  })
  async compareWithReference(
    @InCollection() collection: string,
    @Photo('image') image: UploadedImage,
    @Body(parsedFields) body: CompareWithReferenceDto,
  ): Promise<CompareWithReferenceResponseDto> {
    const { reference_key: referenceKey, threshold, security, probe_faces: probeFaces } = body;
    const verdict = await this.references.compare(collection, image, referenceKey, {
      threshold,
      security,
      probeFaces,
    });
    return { reference_key: referenceKey, result: toVerificationResult(verdict) };
  }

  @Post('verify')
  @RequiresScope('verify', 'verify faces')
  @Audited('verify')
  @HttpCode(200)
  @InferenceRoute()
  @PhotoForm({ photos: ['image1', 'image2'] })
  @ApiOperation({ summary: 'Say whether two photos show the same person; nothing is stored' })
  @ApiBody({ type: VerifyDto })
  @ApiOkResponse({ type: VerifyResponseDto })
  @ApiPhotoForm({
    badRequest:
      'Invalid file extension; Filename must be printable text; ' +
      'Invalid image file; No face detected in the image.',
    missingFields: 'No image1 or no image2 field',
  })
  async verify(
    @Photo('image1') image1: UploadedImage,
    @Photo('image2') image2: UploadedImage,
    @Body(parsedFields) { threshold, security, probe_faces: probeFaces }: VerifyDto,
  ): Promise<VerifyResponseDto> {
    const verdict = await this.references.verify(image1, image2, {
      threshold,
      security,
      probeFaces,
    });
    return { result: toVerificationResult(verdict) };
  }

  @Get('list_references')
  @RequiresScope('read', 'list references')
  @ApiOperation({
    summary: 'List stored references, oldest first',
    description:
      'Without parameters, every reference. `limit` and `offset` page through them, `subject` ' +
      'keeps one subject’s; `count` is the number that match, over all pages.',
  })
  @ApiOkResponse({ type: ListReferencesResponseDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description:
      'limit or offset not decimal digits or out of range; a query parameter unknown or repeated',
  })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error listing embeddings: ...',
  })
  async listReferences(
    @InCollection() collection: string,
    @Query(parsedFields) query: ListReferencesQueryDto,
  ): Promise<ListReferencesResponseDto> {
    const { total, items } = await this.references.list(collection, {
      limit: query.limit,
      offset: query.offset ?? 0,
      subject: query.subject,
    });
    return {
      count: total,
      // The old service's items had key and filename only: subject appears only where there is one.
      references: items.map(({ key, filename, subject }) =>
        subject === null ? { key, filename } : { key, filename, subject },
      ),
    };
  }

  @Get('subjects')
  @RequiresScope('read', 'list subjects')
  @ApiOperation({ summary: 'Every subject with its number of references' })
  @ApiOkResponse({ type: ListSubjectsResponseDto })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error listing subjects: ...',
  })
  async listSubjects(@InCollection() collection: string): Promise<ListSubjectsResponseDto> {
    const subjects = await this.references.subjects(collection);
    return { count: subjects.length, subjects };
  }

  @Get('references/:key')
  @RequiresScope('read', 'read references')
  @ApiAuditedRead()
  @Audited('reference-read', (answer) => ({
    subjects: [(answer as ReferenceMetadataDto).subject ?? ''],
  }))
  @ApiOperation({ summary: 'What is stored about a reference (no image bytes, no embedding)' })
  @ApiOkResponse({ type: ReferenceMetadataDto })
  @ApiReferenceByKey('Error reading reference')
  async getReference(
    @InCollection() collection: string,
    @Param('key') key: string,
  ): Promise<ReferenceMetadataDto> {
    return toReferenceMetadata(await this.references.describe(collection, key));
  }

  @Get('references/:key/image')
  @RequiresScope('images', 'download photos')
  @Audited('photo-download')
  @ApiAuditedRead()
  @ApiOperation({ summary: 'The uploaded photo, byte for byte, with its content type' })
  @ApiProduces('image/jpeg', 'image/png')
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' } })
  @ApiReferenceByKey('Error reading reference')
  async getReferenceImage(
    @InCollection() collection: string,
    @Param('key') key: string,
  ): Promise<StreamableFile> {
    const image = await this.references.image(collection, key);
    return new StreamableFile(image.bytes, {
      type: image.contentType,
      length: image.bytes.length,
      disposition: `inline; filename*=UTF-8''${encodeURIComponent(image.filename)}`,
    });
  }

  @Get('references/:key/face')
  @RequiresScope('images', 'download faces')
  @Audited('face-download')
  @ApiAuditedRead()
  @ApiOperation({
    summary: 'The enrolled face, cropped from the photo and scaled to a square JPEG',
    description:
      'With an ETag; send it back as If-None-Match for a 304. `Cache-Control: no-cache`: the ' +
      'browser asks again on every view, so each look at a face is in the audit trail.',
  })
  @ApiProduces('image/jpeg')
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: 304, description: 'If-None-Match names the current ETag' })
  @ApiReferenceByKey('Error reading reference', 'size not an integer from 16 to 512')
  async getReferenceFace(
    @InCollection() collection: string,
    @Param('key') key: string,
    @Query(parsedFields) query: FaceQueryDto,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile | undefined> {
    const face = await this.faces.face(
      collection,
      key,
      query.size ?? FACE_SIZE_DEFAULT,
      ifNoneMatch,
    );
    response.setHeader('ETag', face.etag);
    response.setHeader('Cache-Control', 'private, no-cache');
    if (face.notModified) {
      response.status(304);
      return undefined;
    }
    return new StreamableFile(face.bytes, { type: 'image/jpeg', length: face.bytes.length });
  }

  @Delete('delete_reference/:key')
  @RequiresScope('delete', 'delete references')
  @Audited('reference-delete')
  @Idempotent()
  @ApiOperation({ summary: 'Delete a reference: its image and embedding together' })
  @ApiOkResponse({ type: DeleteReferenceResponseDto })
  @ApiReferenceByKey('Error deleting embedding', IDEMPOTENCY_KEY_INVALID)
  @ApiStoreWrite()
  async deleteReference(
    @InCollection() collection: string,
    @Param('key') key: string,
  ): Promise<DeleteReferenceResponseDto> {
    const answer = answerBeforeCommit({
      success: true as const,
      message: `Reference embedding with key '${key}' has been deleted`,
    });
    await this.references.delete(collection, key);
    return answer;
  }
}
