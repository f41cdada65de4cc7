import { Module } from '@nestjs/common';
import { FaceEngineModule } from '../face-engine/face-engine.module.js';
import { ReferenceStoreModule } from '../store/reference-store.module.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

@Module({
  imports: [FaceEngineModule, ReferenceStoreModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
