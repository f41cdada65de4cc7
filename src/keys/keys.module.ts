import { Module } from '@nestjs/common';
import { KeyRefresher } from './key-refresher.js';
import { KeyStoreModule } from './key-store.module.js';
import { KeysController } from './keys.controller.js';

/** Scoped API keys: `/keys`, and the key set every replica keeps fresh for the key guard. */
@Module({
  imports: [KeyStoreModule],
  controllers: [KeysController],
  providers: [KeyRefresher],
  exports: [KeyStoreModule],
})
export class KeysModule {}
