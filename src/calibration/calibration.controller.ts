import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AcrossCollections } from '../collections/collection.decorators.js';
import { ApiProtected } from '../common/api-docs.js';
import { CalibrationReportService } from './calibration-report.service.js';
import { CalibrationDto, toCalibration } from './dto/calibration.dto.js';

@ApiTags('calibration')
@ApiProtected()
@AcrossCollections()
@Controller('calibration')
export class CalibrationController {
  constructor(private readonly calibration: CalibrationReportService) {}

  @Get()
  @RequiresScope('read', 'read the calibration')
  @ApiOperation({
    summary: 'The thresholds and false accept rates a verdict is judged by',
    description:
      'The default threshold, the three security levels and the false accept rate at each ' +
      'distance, as measured for the running model (`npm run calibrate -- --write-table`).',
  })
  @ApiOkResponse({ type: CalibrationDto })
  calibrationTable(): CalibrationDto {
    return toCalibration(this.calibration.report());
  }
}
