import { Module } from '@nestjs/common';
import { ReferenceStore } from '../reference-store.js';
import { TypeOrmReferenceStore } from './typeorm-reference.store.js';

/** The reference store behind its port, for the features that read or write references. */
@Module({
  providers: [{ provide: ReferenceStore, useClass: TypeOrmReferenceStore }],
  exports: [ReferenceStore],
})
export class ReferenceStoreModule {}
