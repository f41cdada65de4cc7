import type { DataSource } from 'typeorm';
import { appConfigFrom } from '../../src/config/app-config.js';
import { validateEnvironment } from '../../src/config/environment.js';
import { CommittedChanges } from '../../src/store/typeorm/committed-changes.js';
import { ImageCipher } from '../../src/store/image-cipher.js';
import { StoreSpace } from '../../src/store/store-space.js';
import { TypeOrmReferenceStore } from '../../src/store/typeorm/typeorm-reference.store.js';
import type { NewReference } from '../../src/store/reference-store.js';

/** The TypeORM store on `dataSource`, without encryption, with the default settings. */
export function storeOn(dataSource: DataSource): TypeOrmReferenceStore {
  const config = appConfigFrom(validateEnvironment({}));
  return new TypeOrmReferenceStore(
    dataSource,
    ImageCipher.fromSettings(undefined, undefined),
    new CommittedChanges(),
    config,
    new StoreSpace(dataSource, config),
  );
}

/** A reference to store, of `imageBytes` bytes of `fill`, under `key`. */
export function newReference(key: string, imageBytes: number, fill = 7): NewReference {
  return {
    key,
    filename: `${key}.jpg`,
    subject: null,
    contentType: 'image/jpeg',
    image: Buffer.alloc(imageBytes, fill),
    embedding: new Float32Array(128).fill(fill / 128),
    box: { x: 1, y: 2, width: 30, height: 40 },
    quality: { score: 0.9, interOcular: 40, sharpness: 300, contrast: 40, yaw: 0, roll: 0 },
    model: 'test-model',
  };
}
