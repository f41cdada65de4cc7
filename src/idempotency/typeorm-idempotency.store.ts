import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, In, LessThanOrEqual, type EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { deleteBatch, isUniqueViolation } from '../store/dialect.js';
import { runTransaction } from '../store/transactions.js';
import { IdempotencyKeyEntity } from './idempotency-key.entity.js';
import {
  IdempotencyKeyLostError,
  IdempotencyStore,
  type Claim,
  type HeldKey,
  type IdempotentRequestKey,
  type StoredAnswer,
} from './idempotency-store.js';

/** Longest a retry is told to wait for a request still in progress. */
const MAX_RETRY_AFTER_SECONDS = 5;
/** Claims that lose a race for the same free key look again; more than this is a bug. */
const CLAIM_ATTEMPTS = 3;
/**
 * Beyond the queue wait and the analysis, for reading the body's rest, the database and the
 * answer: past the lease a request's process is taken to be dead and a retry may take its key.
 */
const LEASE_MARGIN_MS = 60_000;

@Injectable()
export class TypeOrmIdempotencyStore extends IdempotencyStore {
  private readonly ttlMs: number;
  private readonly leaseMs: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    super();
    const { IDEMPOTENCY_TTL_SECONDS, FACE_QUEUE_TIMEOUT_MS, INFERENCE_TIMEOUT_MS } = config.env;
    this.ttlMs = IDEMPOTENCY_TTL_SECONDS * 1000;
    // Never longer than the key lives: an expired key is free whatever its lease says.
    this.leaseMs = Math.min(
      this.ttlMs,
      FACE_QUEUE_TIMEOUT_MS + INFERENCE_TIMEOUT_MS + LEASE_MARGIN_MS,
    );
  }

  async claim(request: IdempotentRequestKey, now: Date): Promise<Claim> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await runTransaction(this.dataSource, (manager) =>
          this.claimWithin(manager, request, now),
        );
      } catch (error) {
        // Another request inserted the same key between our read and our insert: read it again.
        if (!isUniqueViolation(error) || attempt >= CLAIM_ATTEMPTS) throw error;
      }
    }
  }

  private async claimWithin(
    manager: EntityManager,
    { scope, collection, key, fingerprint }: IdempotentRequestKey,
    now: Date,
  ): Promise<Claim> {
    const keys = manager.getRepository(IdempotencyKeyEntity);
    const holder = randomUUID().replaceAll('-', '');
    const leaseUntil = new Date(now.getTime() + this.leaseMs);
    const existing = await keys.findOne({ where: { scope, collection, key } });
    if (existing && existing.expiresAt <= now) {
      await keys.delete({ id: existing.id });
    } else if (existing) {
      if (existing.fingerprint !== fingerprint) return { outcome: 'other-request' };
      if (existing.state === 'done') {
        return {
          outcome: 'answered',
          answer: {
            status: existing.statusCode ?? 200,
            body: JSON.parse(existing.responseBody ?? 'null') as unknown,
          },
        };
      }
      if (existing.leaseUntil > now) {
        const seconds = Math.ceil((existing.leaseUntil.getTime() - now.getTime()) / 1000);
        return {
          outcome: 'in-progress',
          retryAfterSeconds: Math.max(1, Math.min(MAX_RETRY_AFTER_SECONDS, seconds)),
        };
      }
      // Written, but the process died before the answer followed: doing it again would write twice.
      if (existing.state === 'committed') return { outcome: 'answer-lost' };
      // Its holder outlived its lease without an answer: its process died, or it is about to
      // find the key gone and roll its write back (answerWithin).
      const { affected } = await keys.update(
        { id: existing.id, holder: existing.holder, state: 'running' },
        { holder, leaseUntil },
      );
      if (affected === 1) return { outcome: 'held', key: { id: existing.id, holder } };
      // Another retry took it over first.
      return { outcome: 'in-progress', retryAfterSeconds: 1 };
    }
    const row = await keys.save({
      scope,
      collection,
      key,
      fingerprint,
      state: 'running',
      holder,
      statusCode: null,
      responseBody: null,
      createdAt: now,
      leaseUntil,
      expiresAt: new Date(now.getTime() + this.ttlMs),
    });
    return { outcome: 'held', key: { id: row.id, holder } };
  }

  async answerWithin(
    manager: EntityManager,
    key: HeldKey,
    answer: StoredAnswer | null,
  ): Promise<void> {
    const { affected } = await manager
      .getRepository(IdempotencyKeyEntity)
      .update(
        { id: key.id, holder: key.holder, state: 'running' },
        answer === null
          ? { state: 'committed' }
          : { state: 'done', statusCode: answer.status, responseBody: JSON.stringify(answer.body) },
      );
    if (affected !== 1) throw new IdempotencyKeyLostError();
  }

  async answer(key: HeldKey, answer: StoredAnswer): Promise<void> {
    await runTransaction(this.dataSource, (manager) =>
      manager
        .getRepository(IdempotencyKeyEntity)
        .update(
          { id: key.id, holder: key.holder, state: In(['running', 'committed']) },
          { state: 'done', statusCode: answer.status, responseBody: JSON.stringify(answer.body) },
        ),
    );
  }

  async release({ id, holder }: HeldKey): Promise<void> {
    await runTransaction(this.dataSource, (manager) =>
      manager.getRepository(IdempotencyKeyEntity).delete({ id, holder, state: 'running' }),
    );
  }

  async purgeExpired(now: Date, limit: number): Promise<number> {
    return runTransaction(this.dataSource, (manager) =>
      deleteBatch(
        manager.getRepository(IdempotencyKeyEntity),
        { expiresAt: LessThanOrEqual(now) },
        { expiresAt: 'ASC' },
        limit,
      ),
    );
  }
}
