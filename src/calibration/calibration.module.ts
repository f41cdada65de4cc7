import { Module } from '@nestjs/common';
import { FaceEngineModule } from '../face-engine/face-engine.module.js';
import { CalibrationController } from './calibration.controller.js';
import { CalibrationReportService } from './calibration-report.service.js';

/** The operating points, for a client that shows them (the console's scale and charts). */
@Module({
  imports: [FaceEngineModule],
  controllers: [CalibrationController],
  providers: [CalibrationReportService],
})
export class CalibrationModule {}
