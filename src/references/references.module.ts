import { Module } from '@nestjs/common';
import { UploadsModule } from '../common/uploads.module.js';
import { FaceEngineModule } from '../face-engine/face-engine.module.js';
import { IdempotencyModule } from '../idempotency/idempotency.module.js';
import { ReferenceStoreModule } from '../store/reference-store.module.js';
import { PersonVerificationController } from './person-verification.controller.js';
import { ReferencesController } from './references.controller.js';
import { FaceThumbnails } from './face-thumbnails.service.js';
import { ReferencesService } from './references.service.js';

@Module({
  imports: [FaceEngineModule, ReferenceStoreModule, UploadsModule, IdempotencyModule],
  controllers: [ReferencesController, PersonVerificationController],
  providers: [ReferencesService, FaceThumbnails],
  // For bulk enrolment's direct mode, which enrols as an upload does.
  exports: [ReferencesService],
})
export class ReferencesModule {}
