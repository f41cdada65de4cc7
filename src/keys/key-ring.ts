import { Injectable, Logger } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { keyIdentity, type RequestKey } from '../auth/key-identity.js';
import { asOperation } from '../common/operation.js';
import { AppConfig } from '../config/app-config.js';
import { secretDigest } from './key-secrets.js';
import { KeyLookup, type ActiveKey } from './key-store.js';

/** How often a replica reads the keys in force again: what another replica revoked goes. */
export const KEY_REFRESH_MS = 2000;
/**
 * A key set older than this is not trusted (a refresh failed): each key is then looked up in the
 * database. Revocation and expiry take effect on every replica within 5 s; this keeps it so with a
 * refresh that takes a second.
 */
export const KEY_SET_MAX_AGE_MS = 4000;
/** A key's last use is written at most this often: never a write on every request. */
export const LAST_USED_EVERY_MS = 60_000;

/**
 * The keys a request may present: those of API_KEYS (admin keys of every collection) and the
 * scoped ones of the `api_keys` table. Stored keys are held in memory by the digest of their
 * secret, read again every KEY_REFRESH_MS (KeyRefresher), and looked up in the database when a key
 * is not in memory, so that a key made on another replica works at once.
 */
@Injectable()
export class KeyRing {
  private readonly logger = new Logger(KeyRing.name);
  private readonly configured: { digest: Buffer; identity: RequestKey }[];
  private keys = new Map<string, ActiveKey>();
  private loadedAt = -Infinity;
  /** Keys revoked on this replica, with when: a refresh begun before must not bring them back. */
  private readonly forgotten = new Map<string, number>();
  private readonly uses = new Map<string, Date>();
  private readonly lastWritten = new Map<string, number>();

  constructor(
    config: AppConfig,
    private readonly lookup: KeyLookup,
  ) {
    this.configured = (config.env.API_KEYS ?? '')
      .split(',')
      .filter((key) => key !== '')
      .map((key, index) => ({ digest: secretDigest(key), identity: keyIdentity(key, index) }));
  }

  /** Whether keys are checked at all: only with API_KEYS set. */
  get enabled(): boolean {
    return this.configured.length > 0;
  }

  /**
   * The key `secret` is, if it is one in force at `now`. `lookUp: false` answers from memory only
   * (for an address blocked for its failures: its guesses cost the database nothing).
   */
  async identify(
    secret: string,
    { lookUp }: { lookUp: boolean },
    now = Date.now(),
  ): Promise<RequestKey | undefined> {
    const digest = secretDigest(secret);
    // Every configured key is compared, without stopping early: the time says nothing of which.
    let matched: RequestKey | undefined;
    for (const known of this.configured) {
      if (timingSafeEqual(digest, known.digest)) matched = known.identity;
    }
    if (matched) return matched;
    const hex = digest.toString('hex');
    let key = now - this.loadedAt <= KEY_SET_MAX_AGE_MS ? this.keys.get(hex) : undefined;
    if (!key && lookUp) {
      key =
        (await asOperation('Error checking API key', () => this.lookup.byDigest(hex))) ?? undefined;
      if (key && !this.forgotten.has(key.id)) this.keys.set(hex, key);
    }
    if (!key || this.forgotten.has(key.id)) return undefined;
    if (!timingSafeEqual(Buffer.from(key.secretSha256, 'hex'), digest)) return undefined;
    if (key.expiresAt !== null && key.expiresAt.getTime() <= now) return undefined;
    this.noteUse(key.id, now);
    return { id: key.id, name: key.name, collection: key.collection, scopes: key.scopes };
  }

  /** A key revoked on this replica stops working here at once. */
  forget(id: string, now = Date.now()): void {
    this.forgotten.set(id, now);
    for (const [digest, key] of this.keys) if (key.id === id) this.keys.delete(digest);
  }

  /** Reads the keys in force again, and writes the last uses noted since the previous time. */
  async refresh(now = Date.now()): Promise<void> {
    const active = await this.lookup.active();
    const keys = new Map<string, ActiveKey>();
    // A key revoked here while the read ran may be in it; a read begun after the revocation is not.
    for (const key of active) if (!this.forgotten.has(key.id)) keys.set(key.secretSha256, key);
    for (const [id, revokedAt] of this.forgotten) if (revokedAt < now) this.forgotten.delete(id);
    this.keys = keys;
    this.loadedAt = now;
    await this.writeUses();
  }

  /** Writes the last uses noted since the previous refresh (at shutdown). */
  async writeUses(): Promise<void> {
    if (this.uses.size === 0) return;
    const uses = new Map(this.uses);
    this.uses.clear();
    try {
      await this.lookup.markUsed(uses);
    } catch (error) {
      // Only a listing's "last used" is late: nothing to retry for.
      this.logger.warn(`Could not write when keys were last used: ${String(error)}`);
    }
  }

  private noteUse(id: string, now: number): void {
    if (now - (this.lastWritten.get(id) ?? -Infinity) < LAST_USED_EVERY_MS) return;
    this.lastWritten.set(id, now);
    this.uses.set(id, new Date(now));
  }
}
