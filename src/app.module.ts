import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditModule } from './audit/audit.module.js';
import { CalibrationModule } from './calibration/calibration.module.js';
import { ApiKeyGuard } from './auth/api-key.guard.js';
import { FailedAttempts } from './auth/failed-attempts.js';
import { ConfigModule } from './config/config.module.js';
import type { EnvironmentVariables } from './config/environment.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { IdentificationModule } from './identification/identification.module.js';
import { KeysModule } from './keys/keys.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import {
  anyRateLimit,
  ClientRateLimitGuard,
  rateLimits,
} from './rate-limit/client-rate-limit.guard.js';
import { ReferencesModule } from './references/references.module.js';
import { SubjectsModule } from './subjects/subjects.module.js';
import { CollectionGuard } from './collections/collection.guard.js';
import { CollectionsModule } from './collections/collections.module.js';

@Module({})
export class AppModule {
  static forRoot(env: EnvironmentVariables): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(env),
        DatabaseModule,
        AuditModule,
        ReferencesModule,
        HealthModule,
        MetricsModule,
        IdentificationModule,
        SubjectsModule,
        KeysModule,
        CalibrationModule,
        CollectionsModule,
      ],
      providers: [
        FailedAttempts,
        // Authentication first: an unauthenticated client is refused before it is counted.
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        ...(anyRateLimit(rateLimits(env))
          ? [{ provide: APP_GUARD, useClass: ClientRateLimitGuard }]
          : []),
        // Then the collection the request works on: 403 and 404 only for a client let in.
        { provide: APP_GUARD, useExisting: CollectionGuard },
      ],
    };
  }
}
