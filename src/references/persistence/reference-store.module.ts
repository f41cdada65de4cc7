import { Logger, Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { ReferenceChangeFeed } from '../reference-change-feed.js';
import { ReferenceStore } from '../reference-store.js';
import { CommittedChanges } from './committed-changes.js';
import { ImageCipher } from './image-cipher.js';
import { ReencryptService } from './reencrypt.service.js';
import { TypeOrmReferenceChangeFeed } from './typeorm-reference-change.feed.js';
import { TypeOrmReferenceStore } from './typeorm-reference.store.js';

/**
 * The references behind two ports: the store, for those that read and write them, and the change
 * feed, for those that follow them; and the re-sealing of stored images that the reencrypt
 * command runs.
 */
@Module({
  providers: [
    { provide: ReferenceStore, useClass: TypeOrmReferenceStore },
    { provide: ReferenceChangeFeed, useClass: TypeOrmReferenceChangeFeed },
    CommittedChanges,
    ReencryptService,
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
  exports: [ReferenceStore, ReferenceChangeFeed, ReencryptService],
})
export class ReferenceStoreModule {}
