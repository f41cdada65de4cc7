import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiInternalServerErrorResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Audited } from '../audit/audited.decorator.js';
import { CallerKey } from '../auth/caller-key.decorator.js';
import type { RequestKey } from '../auth/key-identity.js';
import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { ApiProtected, ApiStoreWrite } from '../common/api-docs.js';
import { ErrorResponseDto } from '../common/dto/error-response.dto.js';
import { KeysNotCheckedError } from '../common/errors.js';
import {
  CreatedKeyDto,
  CreateKeyDto,
  KeyDto,
  KeyListDto,
  toCreatedKeyDto,
  toKeyDto,
} from './dto/keys.dto.js';
import { KeysService } from './keys.service.js';

const NOT_CHECKED = {
  type: ErrorResponseDto,
  description: new KeysNotCheckedError().message,
};

@ApiTags('keys')
@ApiProtected()
@Controller('keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Post()
  @Audited('key-create')
  @RequiresScope('admin', 'create keys')
  @ApiOperation({
    summary: 'Make a key for one collection with some scopes; its secret is shown this once',
    description:
      'A key may grant only scopes it holds, and only for its own collection (a key of API_KEYS: ' +
      'any). Only the SHA-256 of the secret is stored.',
  })
  @ApiCreatedResponse({ type: CreatedKeyDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description:
      'name, collection or scopes missing or invalid; an unknown collection; expires_at not ' +
      'ISO 8601 or not in the future',
  })
  @ApiConflictResponse(NOT_CHECKED)
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error creating API key: ...',
  })
  @ApiStoreWrite()
  async create(
    @CallerKey() caller: RequestKey | null,
    @Body() body: CreateKeyDto,
  ): Promise<CreatedKeyDto> {
    const { key, secret } = await this.keys.create(caller, {
      name: body.name,
      collection: body.collection,
      scopes: body.scopes,
      expiresAt: body.expires_at === undefined ? undefined : new Date(body.expires_at),
    });
    return toCreatedKeyDto(key, secret);
  }

  @Get()
  @RequiresScope('admin', 'list keys')
  @ApiOperation({
    summary: 'The keys, revoked ones too, oldest first: never a secret',
    description: "A key bound to a collection sees that collection's keys only.",
  })
  @ApiOkResponse({ type: KeyListDto })
  @ApiConflictResponse(NOT_CHECKED)
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error listing API keys: ...',
  })
  async list(@CallerKey() caller: RequestKey | null): Promise<KeyListDto> {
    const keys = await this.keys.list(caller);
    return { count: keys.length, keys: keys.map(toKeyDto) };
  }

  @Delete(':id')
  @Audited('key-revoke')
  @RequiresScope('admin', 'revoke keys')
  @ApiOperation({
    summary: 'Revoke a key: at once on this replica, within 5 s on every other',
    description: 'Revoking a revoked key again changes nothing and answers the same.',
  })
  @ApiParam({ name: 'id', example: 'q3VxY2Fk9LmZ' })
  @ApiOkResponse({ type: KeyDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No API key found with id: <id>' })
  @ApiConflictResponse(NOT_CHECKED)
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error revoking API key: ...',
  })
  @ApiStoreWrite()
  async revoke(@CallerKey() caller: RequestKey | null, @Param('id') id: string): Promise<KeyDto> {
    return toKeyDto(await this.keys.revoke(caller, id));
  }
}
