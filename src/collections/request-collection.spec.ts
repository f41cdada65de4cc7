import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Request } from 'express';
import { keyIdentity, setRequestKey, type RequestKey } from '../auth/key-identity.js';
import { CollectionNotAllowedError, InvalidCollectionNameError } from '../common/errors.js';
import {
  collectionForAudit,
  requestCollection,
  setResolvedCollection,
} from './request-collection.js';

/** A request with these headers, path parameters, and the key it was let in with, if any. */
function requestWith(
  headers: Record<string, string | string[]> = {},
  key?: RequestKey,
  params: Record<string, string> = {},
): Request {
  const request = { headers, params } as unknown as Request;
  if (key) setRequestKey(request, key);
  return request;
}

const adminKey = keyIdentity('an-admin-key-0123456789', 0);
const shopKey: RequestKey = { id: 'k1', name: 'till', collection: 'shop', scopes: ['verify'] };

describe('requestCollection', () => {
  it('should work in default when nothing names a collection, as the seed service did', () => {
    assert.equal(requestCollection(requestWith()), 'default');
    assert.equal(requestCollection(requestWith({}, adminKey)), 'default');
  });

  it('should take X-Collection from an admin key, and from anyone with API_KEYS unset', () => {
    assert.equal(requestCollection(requestWith({ 'x-collection': 'shop' }, adminKey)), 'shop');
    assert.equal(requestCollection(requestWith({ 'x-collection': 'Shop.v2_1-a' })), 'Shop.v2_1-a');
  });

  it("should work in a bound key's collection, named or not", () => {
    assert.equal(requestCollection(requestWith({}, shopKey)), 'shop');
    assert.equal(requestCollection(requestWith({ 'x-collection': 'shop' }, shopKey)), 'shop');
  });

  it('should refuse a bound key naming another collection, existing or not, with 403', () => {
    for (const other of ['default', 'door', 'no-such-collection']) {
      assert.throws(
        () => requestCollection(requestWith({ 'x-collection': other }, shopKey)),
        (error: CollectionNotAllowedError) => {
          assert.ok(error instanceof CollectionNotAllowedError);
          assert.equal(
            error.message,
            "This key may not work on another collection: it lacks the scope 'admin'",
          );
          return true;
        },
      );
    }
  });

  it('should refuse a header that names no collection, or two', () => {
    const bad = ['', '.', '..', '-shop', 'a'.repeat(65), 'shop floor', 'shöp', 'a/b', 'shop, door'];
    for (const header of bad) {
      assert.throws(
        () => requestCollection(requestWith({ 'x-collection': header })),
        InvalidCollectionNameError,
        JSON.stringify(header),
      );
    }
    assert.throws(
      () => requestCollection(requestWith({ 'x-collection': ['shop', 'door'] })),
      InvalidCollectionNameError,
    );
    assert.equal(
      requestCollection(requestWith({ 'x-collection': 'a'.repeat(64) })),
      'a'.repeat(64),
    );
  });
});

describe('collectionForAudit', () => {
  it('should name the resolved collection, else the path, the key, the header, default', () => {
    const resolved = requestWith({ 'x-collection': 'door' }, shopKey, { collection: 'gate' });
    setResolvedCollection(resolved, 'shop');
    assert.equal(collectionForAudit(resolved), 'shop');
    assert.equal(collectionForAudit(requestWith({}, shopKey, { collection: 'gate' })), 'gate');
    assert.equal(collectionForAudit(requestWith({ 'x-collection': 'door' }, shopKey)), 'shop');
    assert.equal(collectionForAudit(requestWith({ 'x-collection': 'door' })), 'door');
    assert.equal(collectionForAudit(requestWith({ 'x-collection': 'bad name' })), 'default');
    assert.equal(collectionForAudit(requestWith()), 'default');
  });
});
