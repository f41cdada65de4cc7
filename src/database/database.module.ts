import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      // A database that is not up yet (compose, a restart) gets ten tries, 3 s apart, each logged;
      // then start-up fails and the process exits non-zero for the orchestrator to act on.
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config.env),
        retryAttempts: 10,
        retryDelay: 3000,
      }),
    }),
  ],
})
export class DatabaseModule {}
