import { Module } from '@nestjs/common';
import { CollectionStoreModule } from '../collections/collection-store.module.js';
import { KeyRing } from './key-ring.js';
import { KeyLookup, KeyStore } from './key-store.js';
import { KeysService } from './keys.service.js';
import { TypeOrmKeyStore } from './typeorm-key.store.js';

/** The keys without HTTP: for the service's module and the CLI's `keys` command. */
@Module({
  imports: [CollectionStoreModule],
  providers: [
    TypeOrmKeyStore,
    { provide: KeyStore, useExisting: TypeOrmKeyStore },
    { provide: KeyLookup, useExisting: TypeOrmKeyStore },
    KeyRing,
    KeysService,
  ],
  exports: [KeyRing, KeysService],
})
export class KeyStoreModule {}
