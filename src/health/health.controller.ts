import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { Public } from '../auth/public.decorator.js';
import { NotReadyError } from '../common/errors.js';
import { SkipRateLimit } from '../rate-limit/skip-rate-limit.decorator.js';
import { EngineStatus } from '../face-engine/engine-status.js';
import { FaceAnalyser } from '../face-engine/face-analyser.js';
import { StoreSpace } from '../store/store-space.js';

@ApiTags('health')
@Public()
@SkipRateLimit()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly engine: EngineStatus,
    private readonly analyser: FaceAnalyser,
    private readonly space: StoreSpace,
    private readonly indicators: HealthIndicatorService,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'The process is up' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary:
      'Database reachable, with room for the largest upload, and models loaded (503 otherwise)',
  })
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.database.pingCheck('database', { timeout: 2000 }),
        async () => {
          const { writable, reason, roomBytes } = await this.space.report();
          const storage = this.indicators.check('storage');
          return writable
            ? storage.up({ roomBytes })
            : storage.down({ message: reason, roomBytes });
        },
        () => ({
          faceEngine: {
            status: 'up',
            backend: this.engine.backend,
            model: this.analyser.model,
            // How many photos a client should keep in flight (bulk enrolment over HTTP).
            workers: this.analyser.workers,
          },
        }),
      ]);
    } catch (error) {
      // Terminus's 503 says only "Service Unavailable"; the operator needs which check failed.
      if (error instanceof ServiceUnavailableException) {
        throw new NotReadyError(failedChecks(error.getResponse()));
      }
      throw error;
    }
  }
}

/** "name: why" for each check in a failed health check's answer. */
function failedChecks(answer: string | object): string[] {
  const { error } = answer as Partial<HealthCheckResult>;
  return Object.entries(error ?? {}).map(([name, result]) => {
    const message: unknown = result?.message;
    return typeof message === 'string' ? `${name}: ${message}` : `${name}: down`;
  });
}
