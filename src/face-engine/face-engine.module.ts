import { Module } from '@nestjs/common';
import { Calibration } from './calibration.js';
import { FaceEngine } from './face-engine.service.js';

@Module({
  providers: [FaceEngine, Calibration],
  exports: [FaceEngine, Calibration],
})
export class FaceEngineModule {}
