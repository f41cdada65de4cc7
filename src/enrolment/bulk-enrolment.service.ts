import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import pLimit from 'p-limit';
import {
  EnrolmentAborted,
  EnrolmentTarget,
  RetryLater,
  type EnrolAnswer,
  type PhotoUpload,
} from './enrolment-target.js';
import type { EnrolledPhoto } from '../store/enrolled-photos.js';
import type { PhotoToEnrol } from './photo-sources.js';

export type PhotoOutcome =
  | { outcome: 'enrolled'; key: string }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'refused'; reason: string }
  /** The run stopped before this photo was sent. */
  | { outcome: 'not sent' };

export type PhotoResult = PhotoToEnrol & PhotoOutcome;

/** What the run shows as it goes: a bar on a terminal, a line now and then elsewhere. */
export interface EnrolmentProgress {
  start(total: number): void;
  /** One more photo sent and answered (enrolled or refused). */
  advance(): void;
  stop(): void;
}

export interface BulkEnrolmentOptions {
  /** Photos in flight at once; by default twice the target's workers. */
  concurrency?: number;
  progress?: EnrolmentProgress;
  /** Where its few lines of news go. */
  log?: (line: string) => void;
  /** Tries of a photo the target asks to send again later, before it counts as refused. */
  attempts?: number;
}

export interface BulkEnrolmentRun {
  results: PhotoResult[];
  /** Why the run stopped early (the target out of reach): usage or connection, exit 2. */
  aborted?: string;
  /** Photos per second over those sent (enrolled or refused), from the first send to the last answer. */
  rate: number;
  seconds: number;
}

/** Photos read and hashed at once before anything is sent: bounded memory, files in parallel. */
const HASH_CONCURRENCY = 8;
/** The longest wait before sending a photo again, whatever the target's Retry-After says. */
const MAX_RETRY_SECONDS = 30;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
/** Same bytes and same subject: the same enrolment. */
const identity = (subject: string | null, digest: string) => `${subject ?? ''}\0${digest}`;

/**
 * Enrols many photos through an `EnrolmentTarget`, resumably: every photo is hashed first, the
 * target says in bulk which digests each subject already has, and only the others are sent, a
 * bounded number at a time, so that a second run over the same photos sends none.
 */
@Injectable()
export class BulkEnrolment {
  constructor(private readonly target: EnrolmentTarget) {}

  get description(): string {
    return this.target.description;
  }

  async run(
    photos: PhotoToEnrol[],
    { concurrency, progress, log = () => {}, attempts = 5 }: BulkEnrolmentOptions = {},
  ): Promise<BulkEnrolmentRun> {
    const results = new Map<PhotoToEnrol, PhotoOutcome>();
    let workers: number;
    try {
      ({ workers } = await this.target.connect());
    } catch (error) {
      if (error instanceof EnrolmentAborted) {
        return { results: [], aborted: error.message, rate: 0, seconds: 0 };
      }
      throw error;
    }

    const digests = new Map<PhotoToEnrol, string>();
    const hashing = pLimit(HASH_CONCURRENCY);
    await Promise.all(
      photos.map((photo) =>
        hashing(async () => {
          try {
            digests.set(photo, sha256(await readFile(photo.path)));
          } catch (error) {
            results.set(photo, { outcome: 'refused', reason: unreadableReason(error) });
          }
        }),
      ),
    );
    const readable = photos.filter((photo) => digests.has(photo));
    let stored: EnrolledPhoto[];
    try {
      stored = await this.target.enrolled(
        readable.map((photo) => ({ sha256: digests.get(photo)!, subject: photo.subject })),
      );
    } catch (error) {
      if (!(error instanceof EnrolmentAborted || error instanceof RetryLater)) throw error;
      return { results: [], aborted: error.message, rate: 0, seconds: 0 };
    }
    const seen = new Set(stored.map(({ subject, sha256 }) => identity(subject, sha256)));
    const toSend: PhotoToEnrol[] = [];
    const firstOf = new Map<string, string>();
    for (const photo of readable) {
      const id = identity(photo.subject, digests.get(photo)!);
      if (seen.has(id)) {
        const first = firstOf.get(id);
        results.set(photo, {
          outcome: 'skipped',
          reason: first ? `the same photo as ${first}` : 'already enrolled',
        });
      } else {
        seen.add(id);
        firstOf.set(id, photo.source);
        toSend.push(photo);
      }
    }
    const unreadable = photos.length - readable.length;
    log(
      `${photos.length} photos: ${toSend.length} to enrol, ` +
        `${readable.length - toSend.length} already enrolled, ${unreadable} unreadable; ` +
        `${concurrency ?? workers * 2} at a time (${workers} worker${workers === 1 ? '' : 's'})`,
    );

    let aborted: string | undefined;
    const limit = pLimit(concurrency ?? workers * 2);
    // Nothing to send (a run resumed after the last photo): no bar to draw.
    const shown = toSend.length > 0 ? progress : undefined;
    shown?.start(toSend.length);
    const started = performance.now();
    try {
      await Promise.all(
        toSend.map((photo) =>
          limit(async () => {
            if (aborted !== undefined) return;
            try {
              results.set(photo, await this.send(photo, attempts, () => aborted !== undefined));
              shown?.advance();
            } catch (error) {
              if (!(error instanceof EnrolmentAborted)) throw error;
              aborted ??= error.message;
            }
          }),
        ),
      );
    } finally {
      shown?.stop();
    }
    const seconds = (performance.now() - started) / 1000;
    const sent = toSend.filter((photo) => results.has(photo)).length;
    return {
      results: photos.map((photo) => ({
        ...photo,
        ...(results.get(photo) ?? { outcome: 'not sent' }),
      })),
      aborted,
      rate: seconds > 0 ? sent / seconds : 0,
      seconds,
    };
  }

  /** Reads the photo again (it is not held in memory meanwhile) and sends it, retrying as asked. */
  private async send(
    photo: PhotoToEnrol,
    attempts: number,
    stopped: () => boolean,
  ): Promise<PhotoOutcome> {
    let bytes: Buffer;
    try {
      bytes = await readFile(photo.path);
    } catch (error) {
      return { outcome: 'refused', reason: unreadableReason(error) };
    }
    const upload: PhotoUpload = {
      filename: basename(photo.path),
      subject: photo.subject,
      bytes,
      sha256: sha256(bytes),
    };
    for (let attempt = 1; ; attempt++) {
      let answer: EnrolAnswer;
      try {
        answer = await this.target.enrol(upload);
      } catch (error) {
        if (!(error instanceof RetryLater)) {
          if (error instanceof EnrolmentAborted) throw error;
          return {
            outcome: 'refused',
            reason: error instanceof Error ? error.message : String(error),
          };
        }
        if (attempt >= attempts || stopped()) {
          if (error.connection) throw new EnrolmentAborted(error.message);
          return { outcome: 'refused', reason: error.message };
        }
        const seconds = Math.min(Math.max(error.seconds, 0.1 * 2 ** attempt), MAX_RETRY_SECONDS);
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
        continue;
      }
      return answer;
    }
  }
}

function unreadableReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return `cannot read the file${code ? ` (${code})` : ''}`;
}
