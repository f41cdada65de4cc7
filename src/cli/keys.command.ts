import { Injectable } from '@nestjs/common';
import { AuditStoreModule } from '../audit/audit-store.module.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { DEFAULT_COLLECTION } from '../collections/collection-name.js';
import type { AuditAction } from '../audit/audit-store.js';
import { SCOPES, type Scope } from '../auth/scopes.js';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/errors.js';
import { DatabaseModule } from '../database/database.module.js';
import { toCreatedKeyDto, toKeyDto } from '../keys/dto/keys.dto.js';
import { KeyStoreModule } from '../keys/key-store.module.js';
import { KeysService, OPERATOR } from '../keys/keys.service.js';
import { withWriteParticipant } from '../store/transactions.js';
import {
  EXIT_UNAVAILABLE,
  parseOptions,
  UsageError,
  type Command,
  type CommandRunner,
} from './command.js';

type KeysArguments =
  | {
      action: 'create';
      name: string;
      collection: string;
      scopes: Scope[];
      expiresAt?: Date;
    }
  | { action: 'list' }
  | { action: 'revoke'; id: string };

/**
 * `/keys` at the command line, as an operator holding every scope: the way to make the first
 * scoped keys, and to revoke one when no admin key is at hand. Its changes are in the audit trail
 * as the HTTP ones are, made by the key `cli`.
 */
@Injectable()
export class KeysCommand implements CommandRunner<KeysArguments> {
  constructor(
    private readonly keys: KeysService,
    private readonly audit: AuditTrail,
    private readonly config: AppConfig,
  ) {}

  async run(options: KeysArguments): Promise<number> {
    try {
      if (options.action === 'list') {
        for (const key of await this.keys.list(OPERATOR)) {
          console.log(JSON.stringify(toKeyDto(key)));
        }
        return 0;
      }
      if (options.action === 'create') {
        const { name, collection, scopes, expiresAt } = options;
        const wanted = { name, collection, scopes, expiresAt };
        const { key, secret } = await this.audited('key-create', wanted.collection, () =>
          this.keys.create(OPERATOR, wanted),
        );
        console.log(JSON.stringify(toCreatedKeyDto(key, secret), null, 2));
        if (!this.config.env.API_KEYS) {
          console.error('Note: API_KEYS is unset, so keys are not checked until it is set.');
        }
        return 0;
      }
      const revoked = await this.audited('key-revoke', DEFAULT_COLLECTION, () =>
        this.keys.revoke(OPERATOR, options.id),
      );
      console.log(JSON.stringify(toKeyDto(revoked), null, 2));
      return 0;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      console.error(error.message);
      return EXIT_UNAVAILABLE;
    }
  }

  /** Runs `write` with its audit entry joining its transaction, as the interceptor does. */
  private audited<T>(action: AuditAction, collection: string, write: () => Promise<T>): Promise<T> {
    return withWriteParticipant(
      {
        join: (manager) =>
          this.audit.append(
            {
              time: new Date(),
              key: { id: OPERATOR.id, name: OPERATOR.name },
              collection,
              action,
              referenceKeys: [],
              subjects: [],
              outcome: action === 'key-create' ? 201 : 200,
              requestId: '',
              clientAddress: 'cli',
            },
            manager,
          ),
      },
      write,
    );
  }
}

function scopesOf(value: string | undefined): Scope[] {
  const scopes = (value ?? '').split(',').filter((scope) => scope !== '');
  const unknown = scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new UsageError(`--scopes takes a comma-separated list of ${SCOPES.join(', ')}`);
  }
  return scopes as Scope[];
}

export const keysCommand: Command<KeysArguments> = {
  synopsis:
    'keys create --name N --collection C --scopes S,S [--expires ISO] | keys list | keys revoke ID',
  summary: 'make (the secret is printed once), list or revoke scoped API keys',
  parse(args) {
    const { values, positionals } = parseOptions(args, {
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        collection: { type: 'string', default: DEFAULT_COLLECTION },
        scopes: { type: 'string' },
        expires: { type: 'string' },
      },
    });
    const [action, ...rest] = positionals;
    if (action === 'list' && rest.length === 0) return { action };
    if (action === 'revoke' && rest.length === 1) return { action, id: rest[0] };
    if (action !== 'create' || rest.length > 0) {
      throw new UsageError('keys takes create, list or revoke ID');
    }
    if (!values.name) throw new UsageError('keys create needs --name');
    let expiresAt: Date | undefined;
    if (values.expires !== undefined) {
      expiresAt = new Date(values.expires);
      if (!/^\d{4}-\d{2}-\d{2}/.test(values.expires) || Number.isNaN(expiresAt.getTime())) {
        throw new UsageError('--expires takes an ISO 8601 date or instant, e.g. 2027-06-30');
      }
    }
    return {
      action,
      name: values.name,
      collection: values.collection,
      scopes: scopesOf(values.scopes),
      expiresAt,
    };
  },
  imports: [DatabaseModule, AuditStoreModule, KeyStoreModule],
  // Migrations are the migrate command's to run.
  env: { DB_RUN_MIGRATIONS: 'false' },
  runner: KeysCommand,
};
