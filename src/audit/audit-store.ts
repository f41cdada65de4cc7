import type { EntityManager } from 'typeorm';

/** What each audited operation is called in the trail. */
export const AUDIT_ACTIONS = [
  'enrol',
  'compare',
  'verify',
  'person-verify',
  'identify',
  'reference-read',
  'photo-download',
  /** A face thumbnail (`GET /references/{key}/face`): a crop of the photo, as telling as it. */
  'face-download',
  'reference-delete',
  'person-read',
  'person-metadata-write',
  'person-erase',
  'collection-create',
  'collection-delete',
  'key-create',
  'key-revoke',
  /** A refused attempt at a route that is not itself audited (e.g. a listing). */
  'other',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The API key a request came with, as the trail names it: never the secret. */
export interface KeyIdentity {
  id: string;
  name: string;
}

export interface AuditEntry {
  time: Date;
  key: KeyIdentity | null;
  collection: string;
  action: AuditAction;
  referenceKeys: string[];
  subjects: string[];
  /** The HTTP status the request was answered with. */
  outcome: number;
  requestId: string;
  clientAddress: string;
}

export interface StoredAuditEntry extends AuditEntry {
  id: number;
}

export interface AuditFilter {
  /** Only the entries of requests in this collection (a bound key's reading). */
  collection?: string;
  since?: Date;
  until?: Date;
  action?: string;
  subject?: string;
  referenceKey?: string;
  /** Entries older than (id below) this one: the cursor of the previous page. */
  before?: number;
  limit: number;
}

/** Port for the audit trail; `TypeOrmAuditStore` is the adapter. */
export abstract class AuditStore {
  /** Appends `entry`, inside `manager`'s transaction (a write's own) or, without one, on its own. */
  abstract append(entry: AuditEntry, manager?: EntityManager): Promise<void>;
  /**
   * Inside an erasure's transaction: every older entry of `collection` naming `subjects` or
   * `referenceKeys` names `anonymise(value)` instead (the same name in another collection is
   * another person).
   */
  abstract anonymise(
    manager: EntityManager,
    collection: string,
    names: { subjects: string[]; referenceKeys: string[] },
    anonymise: (value: string) => string,
  ): Promise<number>;
  /**
   * Inside a collection's erasure's transaction: every name in every entry of `collection`
   * becomes `anonymise(name)`; how many entries changed.
   */
  abstract anonymiseCollection(
    manager: EntityManager,
    collection: string,
    anonymise: (value: string) => string,
  ): Promise<number>;
  /** Entries matching `filter`, newest first. */
  abstract page(filter: AuditFilter): Promise<StoredAuditEntry[]>;
  /** Deletes up to `limit` entries older than `before`; how many. */
  abstract prune(before: Date, limit: number): Promise<number>;
}
