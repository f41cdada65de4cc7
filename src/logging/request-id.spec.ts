import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestIdFrom } from './request-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it("should keep a proxy's or client's id: UUIDs, hex, trace ids", () => {
    for (const id of [
      '0f8fad5b-d9cb-469f-a165-70867728950e',
      'a3f1c2d4e5b6a7980123456789abcdef',
      'Root=1-67891233-abcdef012345678912345678',
      'x'.repeat(128),
    ]) {
      assert.equal(requestIdFrom(id), id);
    }
  });

  it('should generate a fresh UUID for a missing, repeated, too long or odd id', () => {
    for (const header of [undefined, '', ['a', 'b'], 'x'.repeat(129), 'a b', 'a\nb', '"}{', 'é']) {
      assert.match(requestIdFrom(header), UUID, JSON.stringify(header));
    }
    assert.notEqual(requestIdFrom(undefined), requestIdFrom(undefined));
  });
});
