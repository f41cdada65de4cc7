import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { AppConfig } from '../config/app-config.js';
import { BudgetedMemoryStorage, UploadBudget } from './upload-budget.js';

/** One budget for the whole application: both modules that take photos import it. */
@Module({ providers: [UploadBudget], exports: [UploadBudget] })
export class UploadBudgetModule {}

/** Multipart parsing with the service's limits, for every module whose controllers take photos. */
@Module({
  imports: [
    UploadBudgetModule,
    MulterModule.registerAsync({
      imports: [UploadBudgetModule],
      inject: [AppConfig, UploadBudget],
      useFactory: (config: AppConfig, budget: UploadBudget) => ({
        storage: new BudgetedMemoryStorage(budget),
        // Multer stops reading at the limit and fails the request with 413.
        limits: {
          fileSize: config.env.MAX_UPLOAD_BYTES,
          // Two: /verify takes image1 and image2; the other endpoints refuse a second file.
          files: 2,
          fields: 10,
          fieldSize: 64 * 1024,
        },
        // Starlette read file names as UTF-8; busboy's default is latin1.
        defParamCharset: 'utf8',
      }),
    }),
  ],
  exports: [MulterModule, UploadBudgetModule],
})
export class UploadsModule {}
