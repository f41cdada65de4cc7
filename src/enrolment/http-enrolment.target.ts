import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import type { EnrolledPhoto } from '../store/enrolled-photos.js';
import {
  EnrolmentAborted,
  EnrolmentTarget,
  RetryLater,
  type EnrolAnswer,
  type PhotoUpload,
} from './enrolment-target.js';

/**
 * The running service to enrol into, the API key it asks for, if any, and the collection named in
 * X-Collection, if any (none: the key's own, or `default`).
 */
export class HttpEnrolmentSettings {
  constructor(
    readonly url: string,
    readonly apiKey?: string,
    readonly collection?: string,
  ) {}
}

/** Requests that only read, in flight at once while looking for photos already enrolled. */
const READ_CONCURRENCY = 8;
/** A service that answers nothing for this long is taken as gone. */
const REQUEST_TIMEOUT_MS = 120_000;

interface ReadyAnswer {
  info?: { faceEngine?: { workers?: number } };
}

/**
 * Enrols through a running service's HTTP API: `POST /upload_reference`, with an Idempotency-Key
 * derived from the subject and the photo's digest, so that a photo sent again after a dropped
 * connection is the same request, which the service answers once.
 */
@Injectable()
export class HttpEnrolmentTarget extends EnrolmentTarget {
  readonly description: string;

  constructor(private readonly settings: HttpEnrolmentSettings) {
    super();
    this.description = settings.url;
  }

  async connect(): Promise<{ workers: number }> {
    const response = await this.request('GET', 'health/ready');
    if (!response.ok) {
      throw new EnrolmentAborted(
        `${this.settings.url} is not ready (${response.status}): ${await detailOf(response)}`,
      );
    }
    const ready = (await response.json()) as ReadyAnswer;
    // A service from before it reported its workers: the usual one per core of a small host.
    return { workers: ready.info?.faceEngine?.workers ?? 2 };
  }

  /**
   * The references of the subjects these photos name, read one by one (`GET /references/{key}`
   * has the digest; the four old routes do not change shape to carry it). Photos without a
   * subject are matched against every reference without one.
   */
  async enrolled(photos: Pick<PhotoUpload, 'subject'>[]): Promise<EnrolledPhoto[]> {
    const subjects = new Set(photos.map(({ subject }) => subject));
    const keys: string[] = [];
    for (const subject of subjects) {
      const query = subject === null ? '' : `?subject=${encodeURIComponent(subject)}`;
      const listed = await this.json<{ references: { key: string; subject?: string }[] }>(
        `list_references${query}`,
      );
      keys.push(
        ...listed.references
          .filter((reference) => subject !== null || reference.subject === undefined)
          .map(({ key }) => key),
      );
    }
    const limit = pLimit(READ_CONCURRENCY);
    return Promise.all(
      keys.map((key) =>
        limit(async () => {
          const { sha256, subject } = await this.json<{ sha256: string; subject: string | null }>(
            `references/${key}`,
          );
          return { sha256, subject };
        }),
      ),
    );
  }

  async enrol({ filename, subject, bytes, sha256 }: PhotoUpload): Promise<EnrolAnswer> {
    const form = new FormData();
    form.append('image', new Blob([bytes]), filename);
    if (subject !== null) form.append('subject', subject);
    const idempotencyKey = createHash('sha256')
      .update(`facegate enrol\0${subject ?? ''}\0${sha256}`)
      .digest('hex');
    const response = await this.request('POST', 'upload_reference', form, {
      'Idempotency-Key': idempotencyKey,
    });
    if (response.ok) {
      const { key } = (await response.json()) as { key: string };
      return { outcome: 'enrolled', key };
    }
    const detail = await detailOf(response);
    if (response.status === 503 || response.status === 429) {
      throw new RetryLater(detail, Number(response.headers.get('retry-after')) || 1);
    }
    if (response.status === 401 || response.status === 403) {
      throw new EnrolmentAborted(`${this.settings.url} refused the API key: ${detail}`);
    }
    return { outcome: 'refused', reason: detail };
  }

  private async json<T>(path: string): Promise<T> {
    const response = await this.request('GET', path);
    if (response.status === 401 || response.status === 403) {
      throw new EnrolmentAborted(
        `${this.settings.url} refused the API key: ${await detailOf(response)}`,
      );
    }
    if (!response.ok) {
      throw new EnrolmentAborted(
        `GET ${path} answered ${response.status}: ${await detailOf(response)}`,
      );
    }
    return (await response.json()) as T;
  }

  /** A failure to connect or a connection dropped is worth a retry, then ends the run. */
  private async request(
    method: string,
    path: string,
    body?: FormData,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const { url, apiKey, collection } = this.settings;
    try {
      return await fetch(new URL(path, url.endsWith('/') ? url : `${url}/`), {
        method,
        body,
        headers: {
          ...headers,
          ...(apiKey === undefined ? {} : { 'X-API-Key': apiKey }),
          ...(collection === undefined ? {} : { 'X-Collection': collection }),
        },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = `cannot reach ${url}: ${cause?.code ?? cause?.message ?? String(error)}`;
      if (method === 'GET' && path === 'health/ready') throw new EnrolmentAborted(reason);
      throw new RetryLater(reason, 1, true);
    }
  }
}

/** The service's `detail`, or the body itself when it is not one of its JSON answers. */
async function detailOf(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const { detail } = JSON.parse(text) as { detail?: unknown };
    if (typeof detail === 'string') return detail;
    if (detail !== undefined) return JSON.stringify(detail);
  } catch {
    // Not JSON: a proxy's page, say.
  }
  return text.slice(0, 200) || response.statusText;
}
