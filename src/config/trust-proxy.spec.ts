import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateEnvironment } from './environment.js';
import { parseTrustProxy } from './trust-proxy.js';

describe('parseTrustProxy', () => {
  it('should read false, a number of proxies, or their addresses and subnets', () => {
    assert.equal(parseTrustProxy('false'), false);
    assert.equal(parseTrustProxy('0'), false);
    assert.equal(parseTrustProxy('1'), 1);
    assert.deepEqual(parseTrustProxy('10.0.0.0/8, loopback,::1,fd00::/8'), [
      '10.0.0.0/8',
      'loopback',
      '::1',
      'fd00::/8',
    ]);
  });

  it('should refuse true, which believes whatever address a client writes first', () => {
    assert.equal(parseTrustProxy('true'), null);
    assert.throws(
      () => validateEnvironment({ TRUST_PROXY: 'true' }),
      /TRUST_PROXY="true": .*true is not accepted/,
    );
  });

  it('should refuse what is not an address or a subnet', () => {
    for (const bad of [
      '10.0.0.300',
      '10.0.0.0/33',
      '::1/129',
      'proxy.example',
      '1,2',
      '10.0.0.0/8/1',
      '',
    ]) {
      assert.equal(parseTrustProxy(bad), null, bad);
    }
  });
});
