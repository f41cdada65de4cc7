import { Injectable } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module.js';
import { ReencryptService } from '../store/reencrypt.service.js';
import { ReferenceStoreModule } from '../store/reference-store.module.js';
import { parseOptions, positiveInteger, type Command, type CommandRunner } from './command.js';

interface ReencryptArguments {
  batchSize: number;
}

@Injectable()
export class ReencryptCommand implements CommandRunner<ReencryptArguments> {
  constructor(private readonly reencrypt: ReencryptService) {}

  async run({ batchSize }: ReencryptArguments): Promise<number> {
    if (!this.reencrypt.currentKeyId) {
      console.error('ENCRYPTION_KEY is not set: there is no key to seal the images with.');
      return 1;
    }
    console.log(`Sealing every stored image with key id ${this.reencrypt.currentKeyId}`);
    const counts = await this.reencrypt.reencrypt({ batchSize, log: console.log });
    console.log(
      `Done: ${counts.scanned} images, ${counts.rotated} re-sealed from a previous key, ` +
        `${counts.encrypted} plaintext sealed, ` +
        `${counts.bound} format-1 envelopes bound to their reference, ` +
        `${counts.current} already current, ` +
        `${counts.failed} failed`,
    );
    return counts.failed > 0 ? 1 : 0;
  }
}

export const reencryptCommand: Command<ReencryptArguments> = {
  synopsis: 'reencrypt [--batch-size N]',
  summary: 'seal every stored image with the current ENCRYPTION_KEY',
  parse(args) {
    const { values } = parseOptions(args, {
      options: { 'batch-size': { type: 'string', default: '100' } },
    });
    return { batchSize: positiveInteger('batch-size', values['batch-size']) };
  },
  imports: [DatabaseModule, ReferenceStoreModule],
  // Migrations are the migrate command's to run.
  env: { DB_RUN_MIGRATIONS: 'false' },
  runner: ReencryptCommand,
};
