import { Module } from '@nestjs/common';
import { Calibration } from './calibration.js';
import { EngineStatus } from './engine-status.js';
import { FaceAnalyser } from './face-analyser.js';
import { WorkerPoolFaceEngine } from './worker-pool-face-engine.js';

/**
 * The engine's two ports, bound to the worker pool. The class is provided under the port's token
 * (not as a provider of its own), so that a test that overrides both ports never starts the pool
 * nor loads a model.
 */
@Module({
  providers: [
    { provide: FaceAnalyser, useClass: WorkerPoolFaceEngine },
    { provide: EngineStatus, useExisting: FaceAnalyser },
    Calibration,
  ],
  exports: [FaceAnalyser, EngineStatus, Calibration],
})
export class FaceEngineModule {}
