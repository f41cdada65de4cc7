import { Injectable } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module.js';
import { ReembedModule } from '../references/reembed.module.js';
import { ReembedService } from '../references/reembed.service.js';
import { parseOptions, positiveInteger, type Command, type CommandRunner } from './command.js';

interface ReembedArguments {
  all: boolean;
  batchSize: number;
}

@Injectable()
export class ReembedCommand implements CommandRunner<ReembedArguments> {
  constructor(private readonly reembed: ReembedService) {}

  async run({ all, batchSize }: ReembedArguments): Promise<number> {
    console.log(
      `Re-embedding ${all ? 'every reference' : 'references of other models'} with ${this.reembed.model}`,
    );
    const counts = await this.reembed.reembed({ all, batchSize, log: console.log });
    console.log(
      `Done: ${counts.scanned} references, ${counts.reembedded} re-embedded, ` +
        `${counts.current} already current, ${counts.failed} left as they were`,
    );
    return counts.failed > 0 ? 1 : 0;
  }
}

export const reembedCommand: Command<ReembedArguments> = {
  synopsis: 'reembed [--all] [--batch-size N]',
  summary: 'embed stored references again from their photos (--all: those of this model too)',
  parse(args) {
    const { values } = parseOptions(args, {
      options: {
        all: { type: 'boolean', default: false },
        'batch-size': { type: 'string', default: '50' },
      },
    });
    return { all: values.all, batchSize: positiveInteger('batch-size', values['batch-size']) };
  },
  imports: [DatabaseModule, ReembedModule],
  // Migrations are the migrate command's to run.
  env: { DB_RUN_MIGRATIONS: 'false' },
  runner: ReembedCommand,
};
