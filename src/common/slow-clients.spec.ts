import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { validateEnvironment } from '../config/environment.js';
import { applyServerTimeouts } from './slow-clients.js';

describe('server timeouts', () => {
  it('should refuse a headers timeout longer than the request timeout', () => {
    assert.throws(
      () => validateEnvironment({ HTTP_HEADERS_TIMEOUT_MS: '200000' }),
      /HTTP_HEADERS_TIMEOUT_MS="200000": must not be more than HTTP_REQUEST_TIMEOUT_MS/,
    );
    const env = validateEnvironment({
      HTTP_HEADERS_TIMEOUT_MS: '200000',
      HTTP_REQUEST_TIMEOUT_MS: '300000',
    });
    assert.equal(env.HTTP_HEADERS_TIMEOUT_MS, 200_000);
  });

  it("should set Node's limits, and check them every second at most", () => {
    const server = createServer();
    applyServerTimeouts(server, { HTTP_HEADERS_TIMEOUT_MS: 3000, HTTP_REQUEST_TIMEOUT_MS: 9000 });
    assert.equal(server.headersTimeout, 3000);
    assert.equal(server.requestTimeout, 9000);
    assert.equal(
      (server as typeof server & { connectionsCheckingInterval: number })
        .connectionsCheckingInterval,
      1000,
    );
  });
});
