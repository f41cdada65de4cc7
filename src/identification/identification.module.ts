import { Module } from '@nestjs/common';
import { UploadsModule } from '../common/uploads.module.js';
import { FaceEngineModule } from '../face-engine/face-engine.module.js';
import { ReferenceStoreModule } from '../store/reference-store.module.js';
import { SubjectsModule } from '../subjects/subjects.module.js';
import { IdentificationController } from './identification.controller.js';
import { IdentificationService } from './identification.service.js';
import { ReferenceIndex } from './reference-index.js';

@Module({
  imports: [FaceEngineModule, ReferenceStoreModule, UploadsModule, SubjectsModule],
  controllers: [IdentificationController],
  providers: [ReferenceIndex, IdentificationService],
})
export class IdentificationModule {}
