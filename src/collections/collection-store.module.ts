import { Module } from '@nestjs/common';
import { ReferenceStoreModule } from '../store/reference-store.module.js';
import { CollectionStore } from './collection-store.js';
import { KnownCollections } from './known-collections.js';
import { TypeOrmCollectionStore } from './persistence/typeorm-collection.store.js';

/** The collections without HTTP: for the service's guard and routes, and bulk enrolment. */
@Module({
  imports: [ReferenceStoreModule],
  providers: [{ provide: CollectionStore, useClass: TypeOrmCollectionStore }, KnownCollections],
  exports: [CollectionStore, KnownCollections],
})
export class CollectionStoreModule {}
