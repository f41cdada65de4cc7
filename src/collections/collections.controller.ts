import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { CallerKey } from '../auth/caller-key.decorator.js';
import type { RequestKey } from '../auth/key-identity.js';
import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
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
import { ApiProtected, ApiStoreWrite } from '../common/api-docs.js';
import { ErrorResponseDto } from '../common/dto/error-response.dto.js';
import { InvalidCollectionNameError, DefaultCollectionError } from '../common/errors.js';
import { AcrossCollections } from './collection.decorators.js';
import { CollectionsService } from './collections.service.js';
import {
  CollectionDto,
  CreateCollectionDto,
  DeleteCollectionResponseDto,
  ListCollectionsResponseDto,
  toCollection,
} from './dto/collection.dto.js';

const INVALID_NAME = new InvalidCollectionNameError().message;

/**
 * The collections: admin routes, across collections rather than in the request's (X-Collection
 * does not apply). With API_KEYS set, only a key that may name any collection (an admin key: every
 * key of API_KEYS) may use them.
 */
@ApiTags('collections')
@ApiProtected()
@AcrossCollections()
@Controller('collections')
export class CollectionsController {
  constructor(private readonly collections: CollectionsService) {}

  @Post()
  @RequiresScope('admin', 'create collections', { everyCollection: true })
  @Audited('collection-create')
  @ApiOperation({
    summary: 'Make an empty collection',
    description:
      'A collection keeps one application’s references and people apart from every other’s: ' +
      'requests name it in X-Collection.',
  })
  @ApiBody({ type: CreateCollectionDto })
  @ApiCreatedResponse({ type: CollectionDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: INVALID_NAME })
  @ApiConflictResponse({
    type: ErrorResponseDto,
    description: "Collection 'front-door' already exists",
  })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error creating collection: ...',
  })
  @ApiStoreWrite()
  async create(@Body() body: unknown): Promise<CollectionDto> {
    const name = (body as { name?: unknown } | null)?.name;
    return toCollection(await this.collections.create(name));
  }

  @Get()
  @RequiresScope('admin', 'list collections')
  @ApiOperation({
    summary: 'Every collection, by name, with its reference and person counts',
    description: 'A key bound to one collection sees only that one.',
  })
  @ApiOkResponse({ type: ListCollectionsResponseDto })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error listing collections: ...',
  })
  async list(@CallerKey() caller: RequestKey | null): Promise<ListCollectionsResponseDto> {
    // A key bound to one collection sees that one only: the others' names and sizes are not its.
    const collections = (await this.collections.list()).filter(
      ({ name }) => !caller?.collection || name === caller.collection,
    );
    return { count: collections.length, collections: collections.map(toCollection) };
  }

  @Delete(':collection')
  @RequiresScope('admin', 'erase collections', { everyCollection: true })
  @Audited('collection-delete')
  @ApiOperation({
    summary: 'Erase a collection: every reference, photo, embedding and person in it, in one go',
    description:
      'One transaction; its people are gone from /identify at once on this replica and within ' +
      'INDEX_REFRESH_MS on the others, and their names in the audit trail become digests. ' +
      '`default` cannot be deleted.',
  })
  @ApiParam({ name: 'collection', example: 'front-door' })
  @ApiOkResponse({ type: DeleteCollectionResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: INVALID_NAME })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: "Collection 'front-door' not found" })
  @ApiConflictResponse({
    type: ErrorResponseDto,
    description: new DefaultCollectionError().message,
  })
  @ApiInternalServerErrorResponse({
    type: ErrorResponseDto,
    description: 'Error deleting collection: ...',
  })
  @ApiStoreWrite()
  async erase(@Param('collection') name: string): Promise<DeleteCollectionResponseDto> {
    const { references, persons } = await this.collections.erase(name);
    return { success: true, references, persons };
  }
}
