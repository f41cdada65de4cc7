import { Module } from '@nestjs/common';
import { FaceEngine } from './face-engine.service.js';

@Module({
  providers: [FaceEngine],
  exports: [FaceEngine],
})
export class FaceEngineModule {}
