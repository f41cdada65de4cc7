import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { AppConfig } from '../config/app-config.js';
import { UploadsBusyError, type UploadRefusal } from './errors.js';
import { uploadClientOf } from './upload-client.js';

/** What one request holds of the budget. */
interface Hold {
  /** Whose share it counts against (`uploadClientOf`). */
  client: string;
  /** Declared by Content-Length, reserved before the body is read. */
  reserved: number;
  /** Buffered so far. */
  taken: number;
  released: boolean;
}

const held = (hold: Hold): number => Math.max(hold.reserved, hold.taken);

/** Whether a request may hold more of the budget, or why not. */
export type Admission = 'admitted' | UploadRefusal;

/**
 * The bytes of request bodies held in memory at once, all uploads together
 * (MAX_INFLIGHT_UPLOAD_BYTES), and by each client (MAX_INFLIGHT_UPLOAD_BYTES_PER_CLIENT). A body
 * with a Content-Length reserves it before a byte is read; a chunked one is counted as it is
 * buffered. Each request holds its share until its response is over, since its photos stay in
 * memory while they wait for and go through the engine. A request alone in the budget, or the
 * only one of its client, is always admitted as far as that limit goes, whatever its size: it is
 * bounded by the upload limits. The per-client share keeps a few slow connections from one client
 * from holding the whole budget while everyone else's uploads are refused.
 */
@Injectable()
export class UploadBudget {
  readonly limit: number;
  readonly perClient: number;
  private used = 0;
  private readonly holds = new WeakMap<Request, Hold>();
  /** Bytes held per client; a client holding nothing has no entry. */
  private readonly byClient = new Map<string, number>();
  private readonly keyed: boolean;

  constructor(config: AppConfig) {
    const { MAX_UPLOAD_BYTES, MAX_INFLIGHT_UPLOAD_BYTES, MAX_INFLIGHT_UPLOAD_BYTES_PER_CLIENT } =
      config.env;
    this.limit = MAX_INFLIGHT_UPLOAD_BYTES ?? 4 * MAX_UPLOAD_BYTES;
    this.perClient =
      MAX_INFLIGHT_UPLOAD_BYTES_PER_CLIENT ??
      Math.max(Math.floor(this.limit / 2), MAX_UPLOAD_BYTES);
    this.keyed = (config.env.API_KEYS ?? '') !== '';
  }

  /** Bytes held right now, all clients together. */
  get inUse(): number {
    return this.used;
  }

  /** Bytes held right now by `client` (as `uploadClientOf` names it). */
  heldBy(client: string): number {
    return this.byClient.get(client) ?? 0;
  }

  /**
   * Reserves the declared length of `request`'s body before it is read, unless it does not fit
   * beside the bodies already held, by everyone or by its client.
   */
  admit(request: Request, declaredBytes: number): Admission {
    const hold = this.holdOf(request);
    const refusal = this.refusal(hold.client, 0, declaredBytes);
    if (refusal) return refusal;
    hold.reserved = declaredBytes;
    this.add(hold.client, declaredBytes);
    return 'admitted';
  }

  /**
   * Counts `bytes` more of `request`'s body as buffered; refused, with everything the request held
   * given back, when they go over the budget or its client's share (a chunked body larger than
   * the room left).
   */
  take(request: Request, bytes: number): Admission {
    const hold = this.holdOf(request);
    if (hold.released) return 'budget-full';
    const before = held(hold);
    const growth = Math.max(hold.reserved, hold.taken + bytes) - before;
    if (growth > 0) {
      const refusal = this.refusal(hold.client, before, growth);
      if (refusal) {
        this.release(hold);
        return refusal;
      }
    }
    hold.taken += bytes;
    this.add(hold.client, growth);
    return 'admitted';
  }

  /**
   * Why `growth` more bytes for a request of `client` that already holds `own` do not fit, if
   * they do not. Each limit lets a request past it when it is alone under it.
   */
  private refusal(client: string, own: number, growth: number): UploadRefusal | undefined {
    if (this.used > own && this.used + growth > this.limit) return 'budget-full';
    const clientHeld = this.heldBy(client);
    if (clientHeld > own && clientHeld + growth > this.perClient) return 'client-share';
    return undefined;
  }

  private add(client: string, bytes: number): void {
    this.used += bytes;
    const now = this.heldBy(client) + bytes;
    if (now > 0) this.byClient.set(client, now);
    else this.byClient.delete(client);
  }

  private holdOf(request: Request): Hold {
    let hold = this.holds.get(request);
    if (!hold) {
      const created: Hold = {
        client: uploadClientOf(request, this.keyed),
        reserved: 0,
        taken: 0,
        released: false,
      };
      this.holds.set(request, created);
      request.res?.once('close', () => this.release(created));
      hold = created;
    }
    return hold;
  }

  private release(hold: Hold): void {
    if (hold.released) return;
    hold.released = true;
    this.add(hold.client, -held(hold));
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
      const admission = this.budget.take(request, chunk.length);
      if (admission !== 'admitted') return fail(new UploadsBusyError(admission));
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
