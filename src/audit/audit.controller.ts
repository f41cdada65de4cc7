import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { CallerKey } from '../auth/caller-key.decorator.js';
import type { RequestKey } from '../auth/key-identity.js';
import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiInternalServerErrorResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProtected } from '../common/api-docs.js';
import { AcrossCollections } from '../collections/collection.decorators.js';
import { ErrorResponseDto } from '../common/dto/error-response.dto.js';
import { parsedFields } from '../common/validation.js';
import { AuditService } from './audit.service.js';
import { AUDIT_PAGE_DEFAULT, AuditPageDto, AuditQueryDto, toAuditEntry } from './dto/audit.dto.js';

@ApiTags('audit')
@ApiProtected()
@AcrossCollections()
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequiresScope('admin', 'read the audit trail')
  @ApiOperation({
    summary: 'The audit trail: who enrolled, compared, identified, downloaded or erased whom',
    description:
      'Newest first; `next_cursor` pages on. A key bound to one collection reads only the ' +
      "entries of that collection's requests.",
  })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'since or until not ISO 8601, an unknown action, limit out of range, a bad cursor',
  })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error reading audit trail: ...',
  })
  async list(
    @Query(parsedFields) query: AuditQueryDto,
    @CallerKey() caller: RequestKey | null,
  ): Promise<AuditPageDto> {
    const { entries, nextBefore } = await this.audit.page({
      collection: caller?.collection ?? undefined,
      since: query.since === undefined ? undefined : new Date(query.since),
      until: query.until === undefined ? undefined : new Date(query.until),
      action: query.action,
      subject: query.subject,
      referenceKey: query.key,
      before: query.cursor === undefined ? undefined : Number(query.cursor),
      limit: query.limit ?? AUDIT_PAGE_DEFAULT,
    });
    return {
      entries: entries.map(toAuditEntry),
      next_cursor: nextBefore === null ? null : String(nextBefore),
    };
  }
}
