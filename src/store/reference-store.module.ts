import { Logger, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { EnrolledPhotos } from './enrolled-photos.js';
import { ReferenceChangeFeed } from './reference-change-feed.js';
import { ReembedStore, ReferenceCount, ReferenceStore } from './reference-store.js';
import { CommittedChanges } from './typeorm/committed-changes.js';
import { ImageCipher } from './image-cipher.js';
import { ReencryptService } from './reencrypt.service.js';
import { SealedImages } from './sealed-images.js';
import { StoreSpace } from './store-space.js';
import { TypeOrmEnrolledPhotos } from './typeorm/typeorm-enrolled-photos.js';
import { TypeOrmReferenceChangeFeed } from './typeorm/typeorm-reference-change.feed.js';
import { TypeOrmReferenceStore } from './typeorm/typeorm-reference.store.js';
import { TypeOrmSealedImages } from './typeorm/typeorm-sealed-images.js';

/**
 * The references behind their ports, one per client: the store, for the reference endpoints,
 * the re-embedding's and the count metrics read (one adapter behind the three), the change feed,
 * for those that follow them, and the enrolled photos' digests, for bulk enrolment; the
 * re-sealing of stored images that the reencrypt command runs, over a port of its own
 * (`SealedImages`); the store's room for writes, which readiness reports; and the commits told to
 * this process's followers, which the subjects' store tells its erasures to.
 */
@Module({
  providers: [
    { provide: ReferenceStore, useClass: TypeOrmReferenceStore },
    { provide: ReembedStore, useExisting: ReferenceStore },
    { provide: ReferenceCount, useExisting: ReferenceStore },
    { provide: ReferenceChangeFeed, useClass: TypeOrmReferenceChangeFeed },
    { provide: EnrolledPhotos, useClass: TypeOrmEnrolledPhotos },
    { provide: SealedImages, useClass: TypeOrmSealedImages },
    CommittedChanges,
    ReencryptService,
    StoreSpace,
    {
      provide: ImageCipher,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const { ENCRYPTION_KEY, ENCRYPTION_PREVIOUS_KEYS, ENCRYPTION_ALLOW_PLAINTEXT } = config.env;
        const cipher = ImageCipher.fromSettings(ENCRYPTION_KEY, ENCRYPTION_PREVIOUS_KEYS, {
          allowPlaintext: ENCRYPTION_ALLOW_PLAINTEXT,
        });
        const logger = new Logger('ImageCipher');
        logger.log(
          cipher.currentKeyId
            ? `Encryption at rest on: new images sealed with key id ${cipher.currentKeyId}; ` +
                `readable key ids ${cipher.readableKeyIds.join(', ')}`
            : 'Encryption at rest off (ENCRYPTION_KEY unset): images are stored as uploaded',
        );
        if (cipher.currentKeyId && ENCRYPTION_ALLOW_PLAINTEXT) {
          logger.warn(
            'ENCRYPTION_ALLOW_PLAINTEXT=true: images stored unencrypted are served as they are; ' +
              'run the reencrypt command to seal them, then unset it',
          );
        }
        return cipher;
      },
    },
  ],
  exports: [
    ReferenceStore,
    ReembedStore,
    ReferenceCount,
    ReferenceChangeFeed,
    EnrolledPhotos,
    ReencryptService,
    StoreSpace,
    CommittedChanges,
  ],
})
export class ReferenceStoreModule {}
