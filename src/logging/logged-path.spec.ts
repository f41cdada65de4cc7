import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskPath } from './logged-path.js';

describe('the path a log keeps', () => {
  it("should mask a person's name where the route takes a subject", () => {
    assert.equal(maskPath('/subjects/Amy%20Farrah', '/subjects/{subject}'), '/subjects/[redacted]');
  });

  it('should mask the name in a longer route and keep the rest', () => {
    assert.equal(
      maskPath('/subjects/amy/verify', '/subjects/{subject}/verify'),
      '/subjects/[redacted]/verify',
    );
  });

  it('should mask the name of a request no route matched (refused before routing)', () => {
    assert.equal(maskPath('/subjects/amy', 'unmatched'), '/subjects/[redacted]');
  });

  it('should keep reference keys and the list of subjects as they are', () => {
    const key = '/delete_reference/3f2b8c0e9d6a4b1f8e7d6c5b4a392817';
    assert.equal(maskPath(key, '/delete_reference/{key}'), key);
    assert.equal(maskPath('/subjects', '/subjects'), '/subjects');
    assert.equal(maskPath('/subjects/', 'unmatched'), '/subjects/');
  });
});
