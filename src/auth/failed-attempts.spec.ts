import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppConfig } from '../config/app-config.js';
import type { EnvironmentVariables } from '../config/environment.js';
import { FailedAttempts } from './failed-attempts.js';

const limiter = (limit: number) => {
  const config: AppConfig = { env: { AUTH_FAILURES_PER_MINUTE: limit } as EnvironmentVariables };
  return new FailedAttempts(config);
};

describe('FailedAttempts', () => {
  it('should block an address for a minute after its limit of failures, and no other', () => {
    const attempts = limiter(3);
    const start = 1_000_000;
    for (let failure = 0; failure < 2; failure++) attempts.record('198.51.100.1', start);
    assert.equal(attempts.blockedFor('198.51.100.1', start), 0);
    attempts.record('198.51.100.1', start + 30_000);
    assert.equal(attempts.blockedFor('198.51.100.1', start + 30_000), 60);
    assert.equal(attempts.blockedFor('198.51.100.1', start + 89_500), 1);
    assert.equal(attempts.blockedFor('198.51.100.1', start + 90_000), 0);
    assert.equal(attempts.blockedFor('198.51.100.2', start + 30_000), 0);
  });

  it('should count failures per minute: old ones expire', () => {
    const attempts = limiter(2);
    attempts.record('2001:db8::1', 0);
    attempts.record('2001:db8::1', 61_000);
    assert.equal(attempts.blockedFor('2001:db8::1', 61_000), 0);
  });

  it('should treat the addresses of one IPv6 /64 as one client', () => {
    const attempts = limiter(2);
    attempts.record('2001:db8::1', 0);
    attempts.record('2001:db8::2', 0);
    assert.ok(attempts.blockedFor('2001:db8::ffff', 0) > 0);
  });

  it('should never block when the limit is 0', () => {
    const attempts = limiter(0);
    for (let failure = 0; failure < 100; failure++) attempts.record('198.51.100.1', 0);
    assert.equal(attempts.blockedFor('198.51.100.1', 0), 0);
  });
});
