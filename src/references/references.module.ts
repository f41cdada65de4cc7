import { Logger, Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { memoryStorage } from 'multer';
import { AppConfig } from '../config/app-config.js';
import { FaceEngineModule } from '../face-engine/face-engine.module.js';
import { ImageCipher } from './persistence/image-cipher.js';
import { TypeOrmReferenceStore } from './persistence/typeorm-reference.store.js';
import { ReferenceStore } from './reference-store.js';
import { ReferencesController } from './references.controller.js';
import { ReferencesService } from './references.service.js';

@Module({
  imports: [
    FaceEngineModule,
    MulterModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        storage: memoryStorage(),
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
  controllers: [ReferencesController],
  providers: [
    ReferencesService,
    { provide: ReferenceStore, useClass: TypeOrmReferenceStore },
    {
      provide: ImageCipher,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const cipher = ImageCipher.fromSettings(
          config.env.ENCRYPTION_KEY,
          config.env.ENCRYPTION_PREVIOUS_KEYS,
        );
        new Logger('ImageCipher').log(
          cipher.currentKeyId
            ? `Encryption at rest on: new images sealed with key id ${cipher.currentKeyId}; ` +
                `readable key ids ${cipher.readableKeyIds.join(', ')}`
            : 'Encryption at rest off (ENCRYPTION_KEY unset): images are stored as uploaded',
        );
        return cipher;
      },
    },
  ],
})
export class ReferencesModule {}
