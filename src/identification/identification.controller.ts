import { Body, Controller, HttpCode, Post, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPhotoForm, ApiProtected } from '../common/api-docs.js';
import { requireFields, toUploadedImage } from '../common/multipart.js';
import { parsedFields } from '../common/validation.js';
import { IdentifyDto, IdentifyResponseDto } from './dto/identify.dto.js';
import { IdentificationService } from './identification.service.js';

const DEFAULT_LIMIT = 5;

@ApiTags('identification')
@ApiProtected()
@Controller()
export class IdentificationController {
  constructor(private readonly identification: IdentificationService) {}

  @Post('identify')
  @HttpCode(200)
  @UseInterceptors(FileInterceptor('image'))
  @ApiOperation({ summary: 'Find who, among the stored references, each face in a photo is' })
  @ApiBody({ type: IdentifyDto })
  @ApiOkResponse({ type: IdentifyResponseDto })
  @ApiPhotoForm({
    badRequest:
      'Invalid file extension; Invalid image file; No face detected in the image.; ' +
      'limit or threshold out of range',
    missingFields: 'No image field',
  })
  async identify(
    @UploadedFile() image: Express.Multer.File | undefined,
    // Not `| undefined`: a union would hide the DTO's class from the validation pipe.
    @Body(parsedFields) body: IdentifyDto,
  ): Promise<IdentifyResponseDto> {
    requireFields({ image });
    const found = await this.identification.identify(toUploadedImage(image!), {
      limit: body?.limit ?? DEFAULT_LIMIT,
      threshold: body?.threshold,
    });
    return {
      faces: found.faces.map(({ box, matches }) => ({
        facial_area: { x: box.x, y: box.y, w: box.width, h: box.height },
        matches,
      })),
      threshold: found.threshold,
      model: found.model,
      references_searched: found.referencesSearched,
      time: found.seconds,
    };
  }
}
