import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DataSource, type EntityManager } from 'typeorm';
import { describeCause, isStorageFull } from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import { runTransaction } from './transactions.js';
import { isSqlite } from './dialect.js';

/** What a stored image may add to the upload: the envelope, the row and the statement around it. */
export const IMAGE_ROW_OVERHEAD = 64 * 1024;

/**
 * How long readiness reports a store whose last write failed for lack of space, when nothing
 * else tells (MySQL/MariaDB): long enough for a load balancer to act, short enough that traffic,
 * and with it the next write, returns once an operator has made room.
 */
export const FULL_STORE_HOLD_MS = 30_000;

export interface StoreSpaceReport {
  writable: boolean;
  /** Why not, for an operator. */
  reason?: string;
  /** Bytes the SQLite file can still grow by: the file system's and its page limit's smaller. */
  roomBytes?: number;
}

/**
 * Whether the store can take the largest upload: readiness asks, the store reports what its
 * writes met. SQLite's room is measured (free space where the file lives, and the page limit);
 * a server database's is known only from a write it refused.
 */
@Injectable()
export class StoreSpace {
  private readonly logger = new Logger(StoreSpace.name);
  private lastFull?: { at: number; reason: string };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /** A write failed: remembered when it was for lack of space. */
  writeFailed(error: unknown): void {
    if (!isStorageFull(error)) return;
    const reason = describeCause(error);
    if (!this.lastFull) this.logger.error(`The store refused a write for lack of space: ${reason}`);
    this.lastFull = { at: Date.now(), reason };
  }

  writeSucceeded(): void {
    if (this.lastFull) this.logger.log('The store takes writes again');
    this.lastFull = undefined;
  }

  /** Runs `work` as one transaction of the store's, noting whether it met a full store. */
  async write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await runTransaction(this.dataSource, work);
    } catch (error) {
      this.writeFailed(error);
      throw error;
    }
    this.writeSucceeded();
    return result;
  }

  async report(): Promise<StoreSpaceReport> {
    const needed = this.config.env.MAX_UPLOAD_BYTES + IMAGE_ROW_OVERHEAD;
    const roomBytes = isSqlite(this.dataSource) ? await this.sqliteRoom() : undefined;
    if (roomBytes !== undefined && roomBytes < needed) {
      return {
        writable: false,
        reason: `the SQLite file can grow by ${roomBytes} bytes; the largest upload needs ${needed}`,
        roomBytes,
      };
    }
    // Measured room is the truth where there is one; a refusal is all a server database tells.
    if (
      roomBytes === undefined &&
      this.lastFull &&
      Date.now() - this.lastFull.at < FULL_STORE_HOLD_MS
    ) {
      return {
        writable: false,
        reason: `the last write was refused for lack of space (${this.lastFull.reason})`,
      };
    }
    return { writable: true, roomBytes };
  }

  private async sqliteRoom(): Promise<number> {
    const pragma = async (name: string) => {
      const [row] = await this.dataSource.query<Record<string, number>[]>(`PRAGMA ${name}`);
      return Number(Object.values(row)[0]);
    };
    const pageSize = await pragma('page_size');
    const pages = await pragma('page_count');
    const limit = await pragma('max_page_count');
    const free = await pragma('freelist_count');
    const file = String(this.dataSource.options.database);
    const disk = await statfs(dirname(file));
    return Math.min(disk.bavail * disk.bsize, (limit - pages) * pageSize) + free * pageSize;
  }
}
