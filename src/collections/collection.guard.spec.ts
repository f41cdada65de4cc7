import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { MemoryAuditStore } from '../../test/support/memory-audit-store.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { Audited } from '../audit/audited.decorator.js';
import { setRequestKey, type RequestKey } from '../auth/key-identity.js';
import { Public } from '../auth/public.decorator.js';
import {
  CollectionNotAllowedError,
  CollectionNotFoundError,
  InvalidCollectionNameError,
} from '../common/errors.js';
import { AcrossCollections } from './collection.decorators.js';
import { CollectionGuard } from './collection.guard.js';
import { CollectionStore, type CollectionSummary } from './collection-store.js';
import { KnownCollections } from './known-collections.js';
import { resolvedCollection } from './request-collection.js';

class Routes {
  @Audited('compare')
  compare() {}
  list() {}
  @Public()
  health() {}
  @AcrossCollections()
  collections() {}
}

/** Only `shop` besides default. */
class ShopOnly extends CollectionStore {
  exists(name: string): Promise<boolean> {
    return Promise.resolve(name === 'shop');
  }
  create(): Promise<boolean> {
    return Promise.resolve(false);
  }
  list(): Promise<CollectionSummary[]> {
    return Promise.resolve([]);
  }
  erase(): Promise<null> {
    return Promise.resolve(null);
  }
}

const tillKey: RequestKey = { id: 'k-till', name: 'till', collection: 'shop', scopes: ['verify'] };

describe('CollectionGuard', () => {
  let audit: MemoryAuditStore;
  let guard: CollectionGuard;

  beforeEach(() => {
    audit = new MemoryAuditStore();
    guard = new CollectionGuard(
      new Reflector(),
      new KnownCollections(new ShopOnly()),
      new AuditTrail(audit),
    );
  });

  /** The guard's verdict on `route` for a request with these headers and key. */
  const run = (route: keyof Routes, headers: Record<string, string>, key?: RequestKey) => {
    const request = {
      headers,
      params: {},
      body: {},
      ip: '198.51.100.7',
      socket: {},
    } as unknown as Request;
    if (key) setRequestKey(request, key);
    const context = {
      // The method itself, where the decorators put their metadata.
      getHandler: () => Object.getOwnPropertyDescriptor(Routes.prototype, route)?.value as unknown,
      getClass: () => Routes,
      switchToHttp: () => ({ getRequest: () => request }),
    } as unknown as ExecutionContext;
    return { request, verdict: guard.canActivate(context) };
  };

  it('should resolve the collection for the handlers, default without a header', async () => {
    const plain = run('list', {});
    assert.equal(await plain.verdict, true);
    assert.equal(resolvedCollection(plain.request), 'default');
    const named = run('list', { 'x-collection': 'shop' });
    assert.equal(await named.verdict, true);
    assert.equal(resolvedCollection(named.request), 'shop');
  });

  it('should answer 404 for a collection that does not exist, 400 for a name that cannot', async () => {
    await assert.rejects(run('list', { 'x-collection': 'door' }).verdict, (error) => {
      assert.ok(error instanceof CollectionNotFoundError);
      assert.equal(error.message, "Collection 'door' not found");
      return true;
    });
    await assert.rejects(
      run('list', { 'x-collection': '../etc' }).verdict,
      InvalidCollectionNameError,
    );
    assert.equal(audit.entries.length, 0);
  });

  it('should refuse a bound key naming another collection, and record the refusal', async () => {
    const { verdict } = run('compare', { 'x-collection': 'door' }, tillKey);
    await assert.rejects(verdict, CollectionNotAllowedError);
    assert.equal(audit.entries.length, 1);
    const [entry] = audit.entries;
    assert.deepEqual(
      {
        action: entry.action,
        outcome: entry.outcome,
        key: entry.key,
        collection: entry.collection,
      },
      { action: 'compare', outcome: 403, key: { id: 'k-till', name: 'till' }, collection: 'shop' },
    );
    const other = run('list', { 'x-collection': 'default' }, tillKey);
    await assert.rejects(other.verdict, CollectionNotAllowedError);
    assert.equal(audit.entries[1].action, 'other');
  });

  it('should leave public routes and routes across collections alone', async () => {
    const health = run('health', { 'x-collection': 'door' });
    assert.equal(await health.verdict, true);
    assert.equal(resolvedCollection(health.request), undefined);
    const collections = run('collections', { 'x-collection': '../etc' }, tillKey);
    assert.equal(await collections.verdict, true);
  });
});
