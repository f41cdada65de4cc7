import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { SCOPES, type Scope } from '../auth/scopes.js';
import { lockForWrite } from '../store/dialect.js';
import { joinParticipants, runTransaction } from '../store/transactions.js';
import { ApiKeyEntity } from './api-key.entity.js';
import { KeyLookup, KeyStore, type ActiveKey, type StoredKey } from './key-store.js';

const toRow = (key: StoredKey): ApiKeyEntity => ({
  ...key,
  scopes: SCOPES.filter((scope) => key.scopes.includes(scope)).join(','),
});

const fromRow = (row: ApiKeyEntity): StoredKey => ({
  ...row,
  scopes: row.scopes === '' ? [] : (row.scopes.split(',') as Scope[]),
});

const NO_CHANGE = { referenceKeys: [], subjects: [] };

/** Both ports of the keys over the `api_keys` table. */
@Injectable()
export class TypeOrmKeyStore implements KeyStore, KeyLookup {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(key: StoredKey): Promise<void> {
    await runTransaction(this.dataSource, async (manager) => {
      await manager.getRepository(ApiKeyEntity).insert(toRow(key));
      await joinParticipants(manager, NO_CHANGE);
    });
  }

  async list(collection?: string): Promise<StoredKey[]> {
    const rows = await this.dataSource.getRepository(ApiKeyEntity).find({
      where: collection === undefined ? {} : { collection },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return rows.map(fromRow);
  }

  revoke(id: string, at: Date, collection?: string): Promise<StoredKey | null> {
    return runTransaction(this.dataSource, async (manager) => {
      const row = await this.lockedRow(manager, id);
      if (!row || (collection !== undefined && row.collection !== collection)) return null;
      if (row.revokedAt === null) {
        row.revokedAt = at;
        await manager.getRepository(ApiKeyEntity).update({ id }, { revokedAt: at });
      }
      await joinParticipants(manager, NO_CHANGE);
      return fromRow(row);
    });
  }

  async active(): Promise<ActiveKey[]> {
    const rows = await this.dataSource.getRepository(ApiKeyEntity).find({
      select: {
        id: true,
        name: true,
        collection: true,
        scopes: true,
        secretSha256: true,
        expiresAt: true,
      },
      where: { revokedAt: IsNull() },
    });
    return rows.map(fromRow);
  }

  async byDigest(secretSha256: string): Promise<ActiveKey | null> {
    const row = await this.dataSource
      .getRepository(ApiKeyEntity)
      .findOneBy({ secretSha256, revokedAt: IsNull() });
    return row && fromRow(row);
  }

  async markUsed(uses: ReadonlyMap<string, Date>): Promise<void> {
    for (const [id, at] of uses) {
      // Two replicas may write the same key's use: the later time wins either way.
      await this.dataSource
        .getRepository(ApiKeyEntity)
        .createQueryBuilder()
        .update()
        .set({ lastUsedAt: at })
        .where('id = :id AND (last_used_at IS NULL OR last_used_at < :at)', { id, at })
        .execute();
    }
  }

  private lockedRow(manager: EntityManager, id: string): Promise<ApiKeyEntity | null> {
    return lockForWrite(
      manager.getRepository(ApiKeyEntity).createQueryBuilder('key').where('key.id = :id', { id }),
    ).getOne();
  }
}
