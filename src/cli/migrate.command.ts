import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, MigrationExecutor } from 'typeorm';
import { DatabaseModule } from '../database/database.module.js';
import { parseOptions, type Command, type CommandRunner } from './command.js';

interface MigrateArguments {
  revert: boolean;
}

@Injectable()
export class MigrateCommand implements CommandRunner<MigrateArguments> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async run({ revert }: MigrateArguments): Promise<number> {
    if (revert) {
      const executed = await new MigrationExecutor(this.dataSource).getExecutedMigrations();
      const last = executed.sort((a, b) => b.timestamp - a.timestamp)[0];
      if (!last) {
        console.log('No migration to revert');
        return 0;
      }
      await this.dataSource.undoLastMigration({ transaction: 'each' });
      console.log(`Reverted ${last.name}`);
      return 0;
    }
    const applied = await this.dataSource.runMigrations({ transaction: 'each' });
    console.log(
      applied.length === 0
        ? 'No pending migrations'
        : `Applied ${applied.map((migration) => migration.name).join(', ')}`,
    );
    return 0;
  }
}

export const migrateCommand: Command<MigrateArguments> = {
  synopsis: 'migrate [--revert]',
  summary: 'run pending migrations (--revert: undo the last one)',
  parse(args) {
    const { values } = parseOptions(args, {
      options: { revert: { type: 'boolean', default: false } },
    });
    return { revert: values.revert };
  },
  imports: [DatabaseModule],
  // Run here rather than at connection, whatever DB_RUN_MIGRATIONS says, to report what ran.
  env: { DB_RUN_MIGRATIONS: 'false' },
  runner: MigrateCommand,
};
