import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { KEY_REFRESH_MS, KeyRing } from './key-ring.js';

/** Reads the keys in force every KEY_REFRESH_MS while the service runs with API_KEYS set. */
@Injectable()
export class KeyRefresher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(KeyRefresher.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly ring: KeyRing) {}

  onApplicationBootstrap(): void {
    if (!this.ring.enabled) return;
    this.timer = setInterval(() => this.refreshInBackground(), KEY_REFRESH_MS);
    this.timer.unref();
    this.refreshInBackground();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.ring.writeUses();
  }

  private refreshInBackground(): void {
    if (this.running) return;
    this.running = this.ring
      .refresh()
      // Meanwhile the ring looks each key up in the database once its set is too old.
      .catch((error: unknown) => this.logger.warn(`Could not read the API keys: ${String(error)}`))
      .finally(() => (this.running = undefined));
  }
}
