import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { Audited } from '../audit/audited.decorator.js';
import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiInternalServerErrorResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiAuditedRead,
  ApiInCollection,
  ApiProtected,
  ApiStoreWrite,
} from '../common/api-docs.js';
import { InCollection } from '../collections/collection.decorators.js';
import { ErrorResponseDto } from '../common/dto/error-response.dto.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import {
  EraseSubjectResponseDto,
  PutSubjectMetadataDto,
  SubjectResponseDto,
  toSubjectResponse,
} from './dto/subject.dto.js';
import { SUBJECT_MAX_LENGTH } from '../store/reference-store.js';
import { METADATA_MAX_BYTES, parseSubjectMetadata } from './subject-metadata.js';
import { SubjectsService } from './subjects.service.js';

const SUBJECT_PARAM = {
  name: 'subject',
  description: 'The subject the references were uploaded with (exact, case-sensitive; URL-encoded)',
  example: 'amy',
};
const INVALID_SUBJECT = `Invalid subject: printable text of at most ${SUBJECT_MAX_LENGTH} characters`;
const NOT_FOUND = 'No reference found with subject: <subject>';

@ApiTags('subjects')
@ApiProtected()
@ApiInCollection()
@Controller('subjects')
export class SubjectsController {
  constructor(private readonly subjects: SubjectsService) {}

  @Get(':subject')
  @RequiresScope('read', 'read persons')
  @ApiAuditedRead()
  @Audited('person-read', (answer) => ({
    referenceKeys: (answer as SubjectResponseDto).references.map(({ key }) => key),
  }))
  @ApiOperation({ summary: 'A person: their references and the metadata kept on them' })
  @ApiParam(SUBJECT_PARAM)
  @ApiOkResponse({ type: SubjectResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: INVALID_SUBJECT })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: NOT_FOUND })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error reading subject: ...',
  })
  async get(
    @InCollection() collection: string,
    @Param('subject') subject: string,
  ): Promise<SubjectResponseDto> {
    return toSubjectResponse(await this.subjects.describe(collection, subject));
  }

  @Put(':subject')
  @RequiresScope('enrol', 'write person metadata')
  @Audited('person-metadata-write')
  @ApiOperation({
    summary: 'Replace the metadata kept on a person who has at least one reference',
    description:
      `A flat JSON object of strings, numbers and booleans, at most ${METADATA_MAX_BYTES} bytes as JSON; ` +
      '`GET /subjects/{subject}` returns it. It is erased with the person’s last reference.',
  })
  @ApiParam(SUBJECT_PARAM)
  @ApiBody({ type: PutSubjectMetadataDto })
  @ApiOkResponse({ type: SubjectResponseDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description:
      `${INVALID_SUBJECT}; metadata missing, not an object, a value null, an object or an ` +
      `array (the detail names the key), a key not printable text, or over ${METADATA_MAX_BYTES} bytes as JSON`,
  })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: NOT_FOUND })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error saving subject metadata: ...',
  })
  @ApiStoreWrite()
  @Idempotent()
  async put(
    @InCollection() collection: string,
    @Param('subject') subject: string,
    @Body() body: unknown,
  ): Promise<SubjectResponseDto> {
    const person = await this.subjects.setMetadata(collection, subject, parseSubjectMetadata(body));
    return toSubjectResponse(person);
  }

  @Delete(':subject')
  @RequiresScope('delete', 'erase persons')
  @Audited('person-erase')
  @ApiOperation({
    summary: 'Erase a person: every reference, photo, embedding and the metadata, in one go',
    description:
      'One transaction; the person is gone from /identify at once on this replica and within ' +
      'INDEX_REFRESH_MS on the others.',
  })
  @ApiParam(SUBJECT_PARAM)
  @ApiOkResponse({ type: EraseSubjectResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: INVALID_SUBJECT })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: NOT_FOUND })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error erasing subject: ...',
  })
  @ApiStoreWrite()
  @Idempotent()
  async erase(
    @InCollection() collection: string,
    @Param('subject') subject: string,
  ): Promise<EraseSubjectResponseDto> {
    return { success: true, deleted: await this.subjects.erase(collection, subject) };
  }
}
