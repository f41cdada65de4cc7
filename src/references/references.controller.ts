import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  StreamableFile,
  UploadedFile,
  UploadedFiles,
  UseInterceptors,
} from '@nestjs/common';
import { FileFieldsInterceptor, FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiInternalServerErrorResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { ApiPhotoForm, ApiProtected, ApiReferenceByKey } from '../common/api-docs.js';
import { requireFields, toUploadedImage } from '../common/multipart.js';
import { parsedFields } from '../common/validation.js';
import {
  CompareWithReferenceDto,
  ListReferencesQueryDto,
  UploadReferenceDto,
  VerifyDto,
} from './dto/requests.dto.js';
import { ClientGoneSignal } from '../common/client-gone-signal.decorator.js';
import {
  CompareWithReferenceResponseDto,
  DeleteReferenceResponseDto,
  ErrorResponseDto,
  ListReferencesResponseDto,
  ListSubjectsResponseDto,
  ReferenceMetadataDto,
  UploadReferenceResponseDto,
  VerifyResponseDto,
} from './dto/responses.dto.js';
import { ReferencesService } from './references.service.js';

@ApiTags('references')
@ApiProtected()
@Controller()
export class ReferencesController {
  constructor(private readonly references: ReferencesService) {}

  @Post('upload_reference')
  @HttpCode(200)
  @UseInterceptors(FileInterceptor('image'))
  @ApiOperation({ summary: 'Enrol the face in a photo and store it under a new key' })
  @ApiBody({ type: UploadReferenceDto })
  @ApiOkResponse({ type: UploadReferenceResponseDto })
  @ApiPhotoForm({
    badRequest:
      'Invalid file extension; Invalid image file; No face detected in the image.; ' +
      'Multiple faces detected in the image (n).',
    missingFields: 'No image field',
  })
  async uploadReference(
    @UploadedFile() image: Express.Multer.File | undefined,
    // Typed without `| undefined` (which would hide the class from the validation pipe), but
    // undefined when the request is not multipart at all.
    @Body() body: UploadReferenceDto,
    @ClientGoneSignal() clientGone: AbortSignal,
  ): Promise<UploadReferenceResponseDto> {
    requireFields({ image });
    const subject = body?.subject?.trim() || null;
    const { key } = await this.references.upload(toUploadedImage(image!), subject, clientGone);
    return { success: true, message: `Reference embedding saved with key: ${key}`, key };
  }

  @Post('compare_with_reference')
  @HttpCode(200)
  @UseInterceptors(FileInterceptor('image'))
  @ApiOperation({ summary: 'Say whether the face in a photo is the person stored under a key' })
  @ApiBody({ type: CompareWithReferenceDto })
  @ApiOkResponse({ type: CompareWithReferenceResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No reference image found with key' })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Reference made by another model' })
  @ApiPhotoForm({
    badRequest:
      'Invalid file extension; Reference key must be alphanumeric; Invalid image file; ' +
      'No face detected in the image.',
    missingFields: 'No image or no reference_key field',
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
  @ApiBody({ type: VerifyDto })
  @ApiOkResponse({ type: VerifyResponseDto })
  @ApiPhotoForm({
    badRequest: 'Invalid file extension; Invalid image file; No face detected in the image.',
    missingFields: 'No image1 or no image2 field',
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
  @ApiOperation({
    summary: 'List stored references, oldest first',
    description:
      'Without parameters, every reference. `limit` and `offset` page through them, `subject` ' +
      'keeps one subject’s; `count` is the number that match, over all pages.',
  })
  @ApiOkResponse({ type: ListReferencesResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'limit or offset out of range' })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error listing embeddings: ...',
  })
  async listReferences(
    @Query(parsedFields) query: ListReferencesQueryDto,
  ): Promise<ListReferencesResponseDto> {
    const { total, items } = await this.references.list({
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
  @ApiOperation({ summary: 'Every subject with its number of references' })
  @ApiOkResponse({ type: ListSubjectsResponseDto })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error listing subjects: ...',
  })
  async listSubjects(): Promise<ListSubjectsResponseDto> {
    const subjects = await this.references.subjects();
    return { count: subjects.length, subjects };
  }

  @Get('references/:key')
  @ApiOperation({ summary: 'What is stored about a reference (no image bytes, no embedding)' })
  @ApiOkResponse({ type: ReferenceMetadataDto })
  @ApiReferenceByKey('Error reading reference')
  async getReference(@Param('key') key: string): Promise<ReferenceMetadataDto> {
    const found = await this.references.describe(key);
    return {
      key: found.key,
      filename: found.filename,
      subject: found.subject,
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
  @ApiReferenceByKey('Error reading reference')
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
  @ApiReferenceByKey('Error deleting embedding')
  async deleteReference(@Param('key') key: string): Promise<DeleteReferenceResponseDto> {
    await this.references.delete(key);
    return { success: true, message: `Reference embedding with key '${key}' has been deleted` };
  }
}
