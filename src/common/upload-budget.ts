import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { AppConfig } from '../config/app-config.js';
import { UploadsBusyError } from './errors.js';

/** What one request holds of the budget. */
interface Hold {
  /** Declared by Content-Length, reserved before the body is read. */
  reserved: number;
  /** Buffered so far. */
  taken: number;
  released: boolean;
}

const held = (hold: Hold): number => Math.max(hold.reserved, hold.taken);

/**
 * The bytes of request bodies held in memory at once, all uploads together
 * (MAX_INFLIGHT_UPLOAD_BYTES). A body with a Content-Length reserves it before a byte is read; a
 * chunked one is counted as it is buffered. Each request holds its share until its response is
 * over, since its photos stay in memory while they wait for and go through the engine. A request
 * alone in the budget is always admitted, whatever its size: it is bounded by the upload limits.
 */
@Injectable()
export class UploadBudget {
  readonly limit: number;
  private used = 0;
  private readonly holds = new WeakMap<Request, Hold>();

  constructor(config: AppConfig) {
    this.limit = config.env.MAX_INFLIGHT_UPLOAD_BYTES ?? 4 * config.env.MAX_UPLOAD_BYTES;
  }

  /** Bytes held right now. */
  get inUse(): number {
    return this.used;
  }

  /**
   * Reserves the declared length of `request`'s body before it is read; false when it does not
   * fit beside the bodies already held.
   */
  admit(request: Request, declaredBytes: number): boolean {
    if (this.used > 0 && this.used + declaredBytes > this.limit) return false;
    this.holdOf(request).reserved = declaredBytes;
    this.used += declaredBytes;
    return true;
  }

  /**
   * Counts `bytes` more of `request`'s body as buffered; false, with everything the request held
   * given back, when they go over the budget (a chunked body larger than the room left).
   */
  take(request: Request, bytes: number): boolean {
    const hold = this.holdOf(request);
    if (hold.released) return false;
    const before = held(hold);
    const growth = Math.max(hold.reserved, hold.taken + bytes) - before;
    if (growth > 0 && this.used > before && this.used + growth > this.limit) {
      this.release(hold);
      return false;
    }
    hold.taken += bytes;
    this.used += growth;
    return true;
  }

  private holdOf(request: Request): Hold {
    let hold = this.holds.get(request);
    if (!hold) {
      const created: Hold = { reserved: 0, taken: 0, released: false };
      this.holds.set(request, created);
      request.res?.once('close', () => this.release(created));
      hold = created;
    }
    return hold;
  }

  private release(hold: Hold): void {
    if (hold.released) return;
    hold.released = true;
    this.used -= held(hold);
  }
}

/**
 * Multer's memory storage, counting every chunk against the upload budget: a file that would go
 * over it fails with `UploadsBusyError` instead of being buffered.
 */
export class BudgetedMemoryStorage implements StorageEngine {
  constructor(private readonly budget: UploadBudget) {}

  _handleFile(
    request: Request,
    file: Express.Multer.File,
    callback: (error?: unknown, info?: Partial<Express.Multer.File>) => void,
  ): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      chunks.length = 0;
      callback(error);
    };
    file.stream.on('data', (chunk: Buffer) => {
      if (failed) return;
      if (!this.budget.take(request, chunk.length)) return fail(new UploadsBusyError());
      chunks.push(chunk);
      size += chunk.length;
    });
    file.stream.on('error', fail);
    file.stream.on('end', () => {
      if (!failed) callback(null, { buffer: Buffer.concat(chunks, size), size });
    });
  }

  _removeFile(
    _request: Request,
    file: Express.Multer.File,
    callback: (error: Error | null) => void,
  ): void {
    (file as Partial<Express.Multer.File>).buffer = undefined;
    callback(null);
  }
}
