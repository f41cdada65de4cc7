import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { Audited } from '../audit/audited.decorator.js';
import type { Touched } from '../audit/audited.decorator.js';
import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPhotoForm, ApiInCollection, ApiProtected } from '../common/api-docs.js';
import { toFacialArea } from '../common/dto/facial-area.dto.js';
import { Photo, PhotoForm, type UploadedImage } from '../common/photo-form.js';
import { InferenceRoute } from '../rate-limit/inference-route.decorator.js';
import { parsedFields } from '../common/validation.js';
import { IdentifyDto, IdentifyResponseDto } from './dto/identify.dto.js';
import { IdentificationService } from './identification.service.js';
import { InCollection } from '../collections/collection.decorators.js';

const DEFAULT_LIMIT = 5;

@ApiTags('identification')
@ApiProtected()
@ApiInCollection()
@Controller()
export class IdentificationController {
  constructor(private readonly identification: IdentificationService) {}

  @Post('identify')
  @RequiresScope('identify', 'identify faces')
  @Audited('identify', namesFound)
  @HttpCode(200)
  @InferenceRoute()
  @PhotoForm({ photos: ['image'] })
  @ApiOperation({ summary: 'Find who, among the stored references, each face in a photo is' })
  @ApiBody({ type: IdentifyDto })
  @ApiOkResponse({ type: IdentifyResponseDto })
  @ApiPhotoForm({
    badRequest:
      'Invalid file extension; Filename must be printable text; ' +
      'Invalid image file; No face detected in the image.; ' +
      'limit or threshold out of range',
    missingFields: 'No image field',
  })
  async identify(
    @InCollection() collection: string,
    @Photo('image') image: UploadedImage,
    @Body(parsedFields) body: IdentifyDto,
  ): Promise<IdentifyResponseDto> {
    const found = await this.identification.identify(collection, image, {
      limit: body.limit ?? DEFAULT_LIMIT,
      threshold: body.threshold,
      security: body.security,
      groupBy: body.group_by,
    });
    return {
      faces: found.faces.map(({ box, matches, subjects }) => ({
        facial_area: toFacialArea(box),
        ...(subjects
          ? {
              subjects: subjects.map(({ referencesUsed, ...person }) => ({
                ...person,
                references_used: referencesUsed,
              })),
            }
          : { matches }),
      })),
      threshold: found.threshold,
      target_fpir: found.targetFpir,
      model: found.model,
      references_searched: found.referencesSearched,
      ...(found.peopleSearched === undefined ? {} : { people_searched: found.peopleSearched }),
      faces_skipped: found.facesSkipped,
      time: found.seconds,
    };
  }
}

/** Whom the search found, as its answer names them: the trail records who was matched. */
function namesFound(answer: unknown): Touched {
  const { faces } = answer as IdentifyResponseDto;
  const found = faces.flatMap((face) => [...(face.matches ?? []), ...(face.subjects ?? [])]);
  return {
    referenceKeys: found.flatMap((match) => (match.key === undefined ? [] : [match.key])),
    subjects: found.flatMap((match) => (match.subject === null ? [] : [match.subject])),
  };
}
