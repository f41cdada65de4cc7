import { Injectable } from '@nestjs/common';
import { AUDIT_ACTIONS } from '../audit/audit-store.js';
import { AuditStoreModule } from '../audit/audit-store.module.js';
import { AuditService } from '../audit/audit.service.js';
import { toAuditEntry } from '../audit/dto/audit.dto.js';
import { DatabaseModule } from '../database/database.module.js';
import { parseOptions, UsageError, type Command, type CommandRunner } from './command.js';

interface AuditArguments {
  since?: Date;
  until?: Date;
  subject?: string;
  action?: string;
}

/** `GET /audit`'s entries as JSON lines on stdout, newest first, for an export or a `jq` pipe. */
@Injectable()
export class AuditCommand implements CommandRunner<AuditArguments> {
  constructor(private readonly audit: AuditService) {}

  async run(filter: AuditArguments): Promise<number> {
    for await (const entry of this.audit.all(filter)) {
      const line = `${JSON.stringify(toAuditEntry(entry))}\n`;
      // Respect a slow reader (a pipe to gzip): a large export must not sit in memory.
      if (!process.stdout.write(line)) {
        await new Promise((resolve) => process.stdout.once('drain', resolve));
      }
    }
    return 0;
  }
}

function instant(option: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const time = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time.getTime())) {
    throw new UsageError(
      `--${option} takes an ISO 8601 date or instant, e.g. 2026-12-01T00:00:00Z`,
    );
  }
  return time;
}

export const auditCommand: Command<AuditArguments> = {
  synopsis: 'audit [--since ISO] [--until ISO] [--subject S] [--action A]',
  summary: 'write the audit trail as JSON lines, newest first',
  parse(args) {
    const { values } = parseOptions(args, {
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        subject: { type: 'string' },
        action: { type: 'string' },
      },
    });
    const action = values.action;
    if (action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(action)) {
      throw new UsageError(`--action takes one of ${AUDIT_ACTIONS.join(', ')}`);
    }
    return {
      since: instant('since', values.since),
      until: instant('until', values.until),
      subject: values.subject,
      action,
    };
  },
  imports: [DatabaseModule, AuditStoreModule],
  // Migrations are the migrate command's to run.
  env: { DB_RUN_MIGRATIONS: 'false' },
  runner: AuditCommand,
  writesStdout: true,
};
