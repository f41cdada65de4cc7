import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { AuditStore } from './audit-store.js';

const DAY_MS = 86_400_000;
/** How often the replica looks for entries past AUDIT_RETENTION_DAYS. */
const PRUNE_INTERVAL_MS = 10 * 60_000;
/** Small deletes, so that a first prune of a large backlog never holds the table for long. */
const PRUNE_BATCH = 1000;
const BATCHES_PER_RUN = 20;

/** Deletes entries older than AUDIT_RETENTION_DAYS, on a timer, in bounded batches. */
@Injectable()
export class AuditRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditRetention.name);
  private readonly retentionMs: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly store: AuditStore,
    config: AppConfig,
  ) {
    this.retentionMs = config.env.AUDIT_RETENTION_DAYS * DAY_MS;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.pruneInBackground(), PRUNE_INTERVAL_MS);
    this.timer.unref();
    this.pruneInBackground();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => 0);
  }

  /** Deletes what is past retention at `now`, at most BATCHES_PER_RUN batches; how many. */
  async prune(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.retentionMs);
    let pruned = 0;
    for (let batch = 0; batch < BATCHES_PER_RUN; batch++) {
      const deleted = await this.store.prune(before, PRUNE_BATCH);
      pruned += deleted;
      if (deleted < PRUNE_BATCH) break;
    }
    return pruned;
  }

  private pruneInBackground(): void {
    if (this.running) return;
    this.running = this.prune();
    this.running
      .then(
        (pruned) => {
          if (pruned > 0) this.logger.log(`Pruned ${pruned} audit entries past retention`);
        },
        (error: unknown) => this.logger.warn(`Could not prune the audit trail: ${String(error)}`),
      )
      .finally(() => (this.running = undefined));
  }
}
