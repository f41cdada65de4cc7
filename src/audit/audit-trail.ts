import { Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { requestKey } from '../auth/key-identity.js';
import { collectionForAudit } from '../collections/request-collection.js';
import { AuditStore, type AuditAction, type AuditEntry } from './audit-store.js';
import type { Touched } from './audited.decorator.js';

/**
 * What an erased person's names become in the trail: a digest lets whoever already knows the name
 * find the entries about them (an erasure request, an inquiry), and nobody read the name off them.
 */
export function anonymised(value: string): string {
  return `sha256:${createHash('sha256').update(value, 'utf8').digest('hex')}`;
}

const unique = (values: (string | undefined)[]): string[] => [
  ...new Set(values.filter((value): value is string => typeof value === 'string' && value !== '')),
];

/**
 * The names in a request's path and fields: `:key`, `:subject`, `reference_key`, `subject` (a
 * multipart form's fields only once multer has read it, i.e. not yet in a guard).
 */
export function touchedByRequest(
  request: Request,
): Required<Pick<Touched, 'referenceKeys' | 'subjects'>> {
  const params = (request.params ?? {}) as Record<string, string | undefined>;
  const body = (request.body ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value.trim() : undefined);
  return {
    referenceKeys: unique([params.key, text(body.reference_key)]),
    subjects: unique([params.subject, text(body.subject)]),
  };
}

/** pino-http's id of the request (a string: ours, from requestIdFrom); '' outside a request. */
function requestIdOf(request: Request): string {
  const id = (request as { id?: unknown }).id;
  return typeof id === 'string' ? id : '';
}

/** Builds the entries of requests and appends them to the trail. */
@Injectable()
export class AuditTrail {
  private readonly logger = new Logger(AuditTrail.name);

  constructor(private readonly store: AuditStore) {}

  entryOf(
    request: Request,
    action: AuditAction,
    outcome: number,
    ...touched: Touched[]
  ): AuditEntry {
    const key = requestKey(request);
    return {
      time: new Date(),
      key: key && { id: key.id, name: key.name },
      collection:
        touched.find((names) => names.collection !== undefined)?.collection ??
        collectionForAudit(request),
      action,
      referenceKeys: unique(touched.flatMap((names) => names.referenceKeys ?? [])),
      subjects: unique(touched.flatMap((names) => names.subjects ?? [])),
      outcome,
      // The id in the request's log lines and its X-Request-Id header.
      requestId: requestIdOf(request),
      clientAddress: request.ip ?? request.socket.remoteAddress ?? '',
    };
  }

  /** Appends `entry`, in `manager`'s transaction when given; throws when it cannot. */
  append(entry: AuditEntry, manager?: EntityManager): Promise<void> {
    return this.store.append(entry, manager);
  }

  /**
   * In an erasure's transaction: the person's names in older entries become digests, and so do
   * they in `entry`, the erasure's own, which stays as the record that it happened.
   */
  async appendErasure(
    manager: EntityManager,
    entry: AuditEntry,
    erased: { subjects: string[]; referenceKeys: string[] },
  ): Promise<void> {
    await this.store.anonymise(manager, entry.collection, erased, anonymised);
    const keys = new Set(erased.referenceKeys);
    const subjects = new Set(erased.subjects);
    await this.store.append(
      {
        ...entry,
        referenceKeys: entry.referenceKeys.map((key) => (keys.has(key) ? anonymised(key) : key)),
        subjects: entry.subjects.map((name) => (subjects.has(name) ? anonymised(name) : name)),
      },
      manager,
    );
  }

  /**
   * In a collection's erasure's transaction: every name in the collection's older entries becomes
   * a digest. `entry`, the erasure's own, names nobody and stays as the record that it happened.
   */
  async appendCollectionErasure(manager: EntityManager, entry: AuditEntry): Promise<void> {
    await this.store.anonymiseCollection(manager, entry.collection, anonymised);
    await this.store.append(entry, manager);
  }

  /**
   * For a refused or failed request, whose answer is an error anyway: a trail out of reach must
   * not turn a 401 or a 404 into something else, so the failure is logged instead.
   */
  async appendIfPossible(entry: AuditEntry): Promise<void> {
    try {
      await this.store.append(entry);
    } catch (error) {
      this.logger.error(
        `Could not record ${entry.action} -> ${entry.outcome} in the audit trail: ${String(error)}`,
      );
    }
  }
}
