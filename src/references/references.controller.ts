import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  StreamableFile,
  UploadedFile,
  UploadedFiles,
  UseInterceptors,
} from '@nestjs/common';
import { FileFieldsInterceptor, FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiInternalServerErrorResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiSecurity,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ClientGoneSignal } from '../common/client-gone-signal.decorator.js';
import { MissingFieldsError } from '../common/errors.js';
import { CompareWithReferenceDto, UploadReferenceDto, VerifyDto } from './dto/requests.dto.js';
import {
  CompareWithReferenceResponseDto,
  DeleteReferenceResponseDto,
  ErrorResponseDto,
  ListReferencesResponseDto,
  ReferenceMetadataDto,
  UploadReferenceResponseDto,
  ValidationErrorResponseDto,
  VerifyResponseDto,
} from './dto/responses.dto.js';
import { ReferencesService, type UploadedImage } from './references.service.js';

/** Throws the FastAPI-style 422 listing every required form field that is absent. */
function requireFields(fields: Record<string, unknown>): void {
  const missing = Object.entries(fields)
    .filter(([, value]) => value === undefined)
    .map(([name]) => name);
  if (missing.length > 0) throw new MissingFieldsError(missing);
}

function toUploadedImage(file: Express.Multer.File): UploadedImage {
  return { filename: file.originalname, contentType: file.mimetype, bytes: file.buffer };
}

@ApiTags('references')
@ApiSecurity('api-key')
@ApiBearerAuth('bearer')
@ApiUnauthorizedResponse({
  type: ErrorResponseDto,
  description: 'Not authenticated (API_KEYS set)',
})
@ApiTooManyRequestsResponse({ type: ErrorResponseDto, description: 'Over RATE_LIMIT_PER_MINUTE' })
@Controller()
export class ReferencesController {
  constructor(private readonly references: ReferencesService) {}

  @Post('upload_reference')
  @HttpCode(200)
  @UseInterceptors(FileInterceptor('image'))
  @ApiOperation({ summary: 'Enrol the face in a photo and store it under a new key' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadReferenceDto })
  @ApiOkResponse({ type: UploadReferenceResponseDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description:
      'Invalid file extension; Invalid image file; No face detected in the image.; ' +
      'Multiple faces detected in the image (n).',
  })
  @ApiPayloadTooLargeResponse({
    type: ErrorResponseDto,
    description: 'Upload over MAX_UPLOAD_BYTES',
  })
  @ApiUnprocessableEntityResponse({
    type: ValidationErrorResponseDto,
    description: 'No image field',
  })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error processing image: ...',
  })
  async uploadReference(
    @UploadedFile() image: Express.Multer.File | undefined,
    @ClientGoneSignal() clientGone: AbortSignal,
  ): Promise<UploadReferenceResponseDto> {
    requireFields({ image });
    const { key } = await this.references.upload(toUploadedImage(image!), clientGone);
    return { success: true, message: `Reference embedding saved with key: ${key}`, key };
  }

  @Post('compare_with_reference')
  @HttpCode(200)
  @UseInterceptors(FileInterceptor('image'))
  @ApiOperation({ summary: 'Say whether the face in a photo is the person stored under a key' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: CompareWithReferenceDto })
  @ApiOkResponse({ type: CompareWithReferenceResponseDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description:
      'Invalid file extension; Reference key must be alphanumeric; Invalid image file; ' +
      'No face detected in the image.',
  })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No reference image found with key' })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Reference made by another model' })
  @ApiPayloadTooLargeResponse({
    type: ErrorResponseDto,
    description: 'Upload over MAX_UPLOAD_BYTES',
  })
  @ApiUnprocessableEntityResponse({
    type: ValidationErrorResponseDto,
    description: 'No image or no reference_key field',
  })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error processing image: ...',
  })
  async compareWithReference(
    @UploadedFile() image: Express.Multer.File | undefined,
    // Undefined when the request is not multipart at all.
    @Body() body: CompareWithReferenceDto | undefined,
  ): Promise<CompareWithReferenceResponseDto> {
    requireFields({ image, reference_key: body?.reference_key });
    const referenceKey = body!.reference_key!;
    const result = await this.references.compare(toUploadedImage(image!), referenceKey);
    return { reference_key: referenceKey, result };
  }

  @Post('verify')
  @HttpCode(200)
  @UseInterceptors(
    FileFieldsInterceptor([
      { name: 'image1', maxCount: 1 },
      { name: 'image2', maxCount: 1 },
    ]),
  )
  @ApiOperation({ summary: 'Say whether two photos show the same person; nothing is stored' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: VerifyDto })
  @ApiOkResponse({ type: VerifyResponseDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'Invalid file extension; Invalid image file; No face detected in the image.',
  })
  @ApiPayloadTooLargeResponse({
    type: ErrorResponseDto,
    description: 'Upload over MAX_UPLOAD_BYTES',
  })
  @ApiUnprocessableEntityResponse({
    type: ValidationErrorResponseDto,
    description: 'No image1 or no image2 field',
  })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error processing image: ...',
  })
  async verify(
    @UploadedFiles()
    files: { image1?: Express.Multer.File[]; image2?: Express.Multer.File[] } | undefined,
  ): Promise<VerifyResponseDto> {
    const image1 = files?.image1?.[0];
    const image2 = files?.image2?.[0];
    requireFields({ image1, image2 });
    return {
      result: await this.references.verify(toUploadedImage(image1!), toUploadedImage(image2!)),
    };
  }

  @Get('list_references')
  @ApiOperation({ summary: 'List stored references, oldest first' })
  @ApiOkResponse({ type: ListReferencesResponseDto })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error listing embeddings: ...',
  })
  async listReferences(): Promise<ListReferencesResponseDto> {
    const references = await this.references.list();
    return { count: references.length, references };
  }

  @Get('references/:key')
  @ApiOperation({ summary: 'What is stored about a reference (no image bytes, no embedding)' })
  @ApiOkResponse({ type: ReferenceMetadataDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'Invalid reference key' })
  @ApiNotFoundResponse({
    type: ErrorResponseDto,
    description: 'No reference embedding found with key',
  })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error reading reference: ...',
  })
  async getReference(@Param('key') key: string): Promise<ReferenceMetadataDto> {
    const found = await this.references.describe(key);
    return {
      key: found.key,
      filename: found.filename,
      content_type: found.contentType,
      size_bytes: found.sizeBytes,
      face_box: { x: found.box.x, y: found.box.y, w: found.box.width, h: found.box.height },
      model: found.model,
      created_at: found.createdAt.toISOString(),
    };
  }

  @Get('references/:key/image')
  @ApiOperation({ summary: 'The uploaded photo, byte for byte, with its content type' })
  @ApiProduces('image/jpeg', 'image/png')
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' } })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'Invalid reference key' })
  @ApiNotFoundResponse({
    type: ErrorResponseDto,
    description: 'No reference embedding found with key',
  })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error reading reference: ...',
  })
  async getReferenceImage(@Param('key') key: string): Promise<StreamableFile> {
    const image = await this.references.image(key);
    return new StreamableFile(image.bytes, {
      type: image.contentType,
      length: image.bytes.length,
      disposition: `inline; filename*=UTF-8''${encodeURIComponent(image.filename)}`,
    });
  }

  @Delete('delete_reference/:key')
  @ApiOperation({ summary: 'Delete a reference: its image and embedding together' })
  @ApiOkResponse({ type: DeleteReferenceResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'Invalid reference key' })
  @ApiNotFoundResponse({
    type: ErrorResponseDto,
    description: 'No reference embedding found with key',
  })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error deleting embedding: ...',
  })
  async deleteReference(@Param('key') key: string): Promise<DeleteReferenceResponseDto> {
    await this.references.delete(key);
    return { success: true, message: `Reference embedding with key '${key}' has been deleted` };
  }
}
