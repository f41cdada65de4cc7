import { Module } from '@nestjs/common';
import { CollectionGuard } from './collection.guard.js';
import { CollectionStoreModule } from './collection-store.module.js';
import { CollectionsController } from './collections.controller.js';
import { CollectionsService } from './collections.service.js';

/**
 * Collections: the admin routes, and the guard (registered by AppModule after the key's) that
 * resolves every other request's collection.
 */
@Module({
  imports: [CollectionStoreModule],
  controllers: [CollectionsController],
  providers: [CollectionsService, CollectionGuard],
  exports: [CollectionStoreModule, CollectionGuard],
})
export class CollectionsModule {}
