import { Logger, Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { ReferenceStore } from '../reference-store.js';
import { ImageCipher } from './image-cipher.js';
import { TypeOrmReferenceStore } from './typeorm-reference.store.js';

/** The reference store behind its port, for the features that read or write references. */
@Module({
  providers: [
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
  exports: [ReferenceStore],
})
export class ReferenceStoreModule {}
