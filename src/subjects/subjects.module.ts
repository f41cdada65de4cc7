import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../idempotency/idempotency.module.js';
import { ReferenceStoreModule } from '../store/reference-store.module.js';
import { SubjectStore } from './subject-store.js';
import { TypeOrmSubjectStore } from './persistence/typeorm-subject.store.js';
import { SubjectsController } from './subjects.controller.js';
import { SubjectsService } from './subjects.service.js';

/** People as resources; exports the service for answers that return a person's metadata. */
@Module({
  imports: [ReferenceStoreModule, IdempotencyModule],
  controllers: [SubjectsController],
  providers: [SubjectsService, { provide: SubjectStore, useClass: TypeOrmSubjectStore }],
  exports: [SubjectsService],
})
export class SubjectsModule {}
