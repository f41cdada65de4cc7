import { Injectable, Logger } from '@nestjs/common';
import type { CommittedChange } from '../reference-change-feed.js';

/**
 * The store's writes, told to this process's followers once committed, so they need not wait for
 * the change log: the store tells, the change feed listens.
 */
@Injectable()
export class CommittedChanges {
  private readonly logger = new Logger(CommittedChanges.name);
  private readonly listeners: ((change: CommittedChange) => void)[] = [];

  listen(listener: (change: CommittedChange) => void): void {
    this.listeners.push(listener);
  }

  tell(change: CommittedChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        // The write has committed; a follower that fails catches up from the change log.
        this.logger.warn(`A listener failed on a committed ${change.kind}: ${String(error)}`);
      }
    }
  }
}
