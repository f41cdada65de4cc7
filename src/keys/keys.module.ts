import { Module } from '@nestjs/common';
import { KeyRing } from './key-ring.js';
import { KeyLookup, KeyStore } from './key-store.js';
import { KeysController } from './keys.controller.js';
import { KeysService } from './keys.service.js';
import { TypeOrmKeyStore } from './typeorm-key.store.js';

/** Scoped API keys: `/keys`, the key check's ring, and the service the CLI's `keys` command uses. */
@Module({
  controllers: [KeysController],
  providers: [
    TypeOrmKeyStore,
    { provide: KeyStore, useExisting: TypeOrmKeyStore },
    { provide: KeyLookup, useExisting: TypeOrmKeyStore },
    KeyRing,
    KeysService,
  ],
  exports: [KeyRing, KeysService],
})
export class KeysModule {}
