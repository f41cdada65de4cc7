import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_REPLIES, errorReplyRule } from './error-replies.js';
import * as errors from './errors.js';
import { DomainError } from './errors.js';

/** Every `DomainError` subclass errors.ts exports, found by walking its exports. */
const exportedDomainErrors = Object.entries(errors as Record<string, unknown>).filter(
  (entry): entry is [string, abstract new (...args: never[]) => DomainError] =>
    typeof entry[1] === 'function' && entry[1].prototype instanceof DomainError,
);

describe('the error contract table', () => {
  it('should find the domain errors errors.ts exports, and only those', () => {
    // A guard that enumerates nothing passes whatever the table holds.
    const names = exportedDomainErrors.map(([name]) => name);
    for (const name of ['ReferenceNotFoundError', 'MissingFieldsError', 'StorageFullError']) {
      assert.ok(names.includes(name), `${name} not found among ${names.join(', ')}`);
    }
    for (const name of ['DomainError', 'describeCause', 'isStorageFull']) {
      assert.ok(!names.includes(name), name);
    }
  });

  it('should have an entry for every DomainError subclass errors.ts exports', () => {
    const missing = exportedDomainErrors
      .filter(
        ([, type]) =>
          errorReplyRule(Object.create(type.prototype as object) as DomainError) === undefined,
      )
      .map(([name]) => name);
    assert.deepEqual(missing, [], `no status for ${missing.join(', ')}: add them to ERROR_REPLIES`);
  });

  it('should name only exported DomainError subclasses', () => {
    const exported = new Set(exportedDomainErrors.map(([name]) => name));
    assert.deepEqual(
      Object.keys(ERROR_REPLIES).filter((name) => !exported.has(name)),
      [],
    );
  });

  it("should answer a subclass of a listed error with its parent's rule", () => {
    class StaleReferenceError extends errors.ReferenceNotFoundError {}
    assert.equal(
      errorReplyRule(new StaleReferenceError('abc', 'embedding')),
      ERROR_REPLIES.ReferenceNotFoundError,
    );
  });

  it('should have no rule for a domain error outside errors.ts', () => {
    class UnlistedError extends DomainError {}
    assert.equal(errorReplyRule(new UnlistedError('x')), undefined);
  });
});
