import { Module } from '@nestjs/common';
import { FaceEngineModule } from '../face-engine/face-engine.module.js';
import { ReferenceStoreModule } from '../store/reference-store.module.js';
import { ReembedService } from './reembed.service.js';

/** Re-embedding stored references: a command's, not the HTTP service's. */
@Module({
  imports: [FaceEngineModule, ReferenceStoreModule],
  providers: [ReembedService],
  exports: [ReembedService],
})
export class ReembedModule {}
