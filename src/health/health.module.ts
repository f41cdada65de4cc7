import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { FaceEngineModule } from '../face-engine/face-engine.module.js';
import { ReferenceStoreModule } from '../store/reference-store.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule, FaceEngineModule, ReferenceStoreModule],
  controllers: [HealthController],
})
export class HealthModule {}
