import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { ApiKeyGuard } from './auth/api-key.guard.js';
import { ConfigModule } from './config/config.module.js';
import type { EnvironmentVariables } from './config/environment.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { IdentificationModule } from './identification/identification.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { ReferencesModule } from './references/references.module.js';

@Module({})
export class AppModule {
  static forRoot(env: EnvironmentVariables): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(env),
        ThrottlerModule.forRoot({
          throttlers: [{ ttl: 60_000, limit: Math.max(1, env.RATE_LIMIT_PER_MINUTE) }],
          skipIf: () => env.RATE_LIMIT_PER_MINUTE === 0,
        }),
        DatabaseModule,
        ReferencesModule,
        HealthModule,
        MetricsModule,
        IdentificationModule,
      ],
      providers: [
        // Authentication first: an unauthenticated client is refused before it is counted.
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_GUARD, useClass: ThrottlerGuard },
      ],
    };
  }
}
