import { SetMetadata } from '@nestjs/common';
import type { AuditAction } from './audit-store.js';

/** Names a route's answer shows it touched, beyond its path and form fields. */
export interface Touched {
  referenceKeys?: string[];
  subjects?: string[];
  /** The collection written, where it is not the request's own (a collection made). */
  collection?: string;
}

export interface AuditedRoute {
  action: AuditAction;
  /** The reference keys and subjects the answer reveals (who /identify found, a person's keys). */
  fromAnswer?(answer: unknown): Touched;
}

export const AUDITED = 'facegate:audited';

/**
 * Every request to the route leaves one entry in the audit trail: a write's in the write's own
 * transaction, a read's before its answer leaves (503 when it cannot be written).
 */
export const Audited = (action: AuditAction, fromAnswer?: AuditedRoute['fromAnswer']) =>
  SetMetadata(AUDITED, { action, fromAnswer } satisfies AuditedRoute);
