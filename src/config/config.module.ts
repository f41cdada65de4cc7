import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig, appConfigFrom } from './app-config.js';
import type { EnvironmentVariables } from './environment.js';

@Global()
@Module({})
export class ConfigModule {
  /** Provides the configuration validated at boot (see `validateEnvironment`). */
  static forRoot(env: EnvironmentVariables): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: appConfigFrom(env) }],
      exports: [AppConfig],
    };
  }
}
