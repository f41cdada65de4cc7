import { Injectable } from '@nestjs/common';
import { asOperation } from '../common/operation.js';
import { AuditStore, type AuditFilter, type StoredAuditEntry } from './audit-store.js';

export interface AuditPage {
  entries: StoredAuditEntry[];
  /** The id below which the next page starts; null when this page was the last. */
  nextBefore: number | null;
}

/** Reads the trail page by page, newest first. */
@Injectable()
export class AuditService {
  constructor(private readonly store: AuditStore) {}

  async page(filter: AuditFilter): Promise<AuditPage> {
    // One more than asked says whether another page follows, without a count over the table.
    const found = await asOperation('Error reading audit trail', () =>
      this.store.page({ ...filter, limit: filter.limit + 1 }),
    );
    const entries = found.slice(0, filter.limit);
    const more = found.length > filter.limit;
    return { entries, nextBefore: more ? entries[entries.length - 1].id : null };
  }

  /** Every entry matching `filter`, newest first, a page at a time. */
  async *all(filter: Omit<AuditFilter, 'limit' | 'before'>, pageSize = 500) {
    let before: number | undefined;
    for (;;) {
      const { entries, nextBefore } = await this.page({ ...filter, before, limit: pageSize });
      yield* entries;
      if (nextBefore === null) return;
      before = nextBefore;
    }
  }
}
