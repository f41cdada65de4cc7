import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidSubjectMetadataError } from '../common/errors.js';
import { METADATA_MAX_BYTES, parseSubjectMetadata, serialisedSize } from './subject-metadata.js';

/** Asserts the body is refused with a detail matching `detail`. */
function refused(body: unknown, detail: RegExp): void {
  assert.throws(
    () => parseSubjectMetadata(body),
    (error: unknown) => {
      assert.ok(error instanceof InvalidSubjectMetadataError, String(error));
      assert.match(error.message, detail);
      return true;
    },
  );
}

describe('the metadata a person may carry', () => {
  it('should keep a flat object of strings, numbers and booleans as given', () => {
    const metadata = { employee_id: 'E-1042', badge: 31337, ratio: -0.5, contractor: false };
    assert.deepEqual(parseSubjectMetadata({ metadata }), metadata);
    assert.deepEqual(parseSubjectMetadata({ metadata: {} }), {});
  });

  it('should refuse a nested object, an array or null, naming the key', () => {
    refused({ metadata: { team: { name: 'x' } } }, /^metadata\.team .* not an object$/);
    refused({ metadata: { tags: ['a'] } }, /^metadata\.tags .* not an array$/);
    refused({ metadata: { manager: null } }, /^metadata\.manager .* not null$/);
  });

  it('should refuse a body that is not {"metadata": {...}}', () => {
    refused(undefined, /Body must be a JSON object/);
    refused([], /Body must be a JSON object/);
    refused({}, /Field required: metadata/);
    refused({ metadata: null }, /metadata must be an object .* not null/);
    refused({ metadata: [1] }, /metadata must be an object .* not an array/);
    refused({ metadata: 'x' }, /metadata must be an object .* not a string/);
    refused({ metadata: {}, subject: 'x' }, /Unknown field 'subject'/);
  });

  it('should refuse an empty or unprintable key, or one over 100 characters', () => {
    refused({ metadata: { '': 1 } }, /key "" must be printable/);
    refused({ metadata: { 'a\u0000b': 1 } }, /must be printable/);
    refused({ metadata: { ['k'.repeat(101)]: 1 } }, /must be printable text of 1 to 100/);
  });

  it('should refuse a number JSON cannot hold (1e400 parses to Infinity)', () => {
    refused(JSON.parse('{"metadata": {"big": 1e400}}'), /metadata\.big .* number JSON cannot hold/);
  });

  it(`should take exactly ${METADATA_MAX_BYTES} bytes as JSON and refuse one more`, () => {
    // {"note":"..."} is 11 bytes around the value.
    const fits = { note: 'x'.repeat(METADATA_MAX_BYTES - 11) };
    assert.equal(serialisedSize(fits), METADATA_MAX_BYTES);
    assert.deepEqual(parseSubjectMetadata({ metadata: fits }), fits);
    refused(
      { metadata: { note: 'x'.repeat(METADATA_MAX_BYTES - 10) } },
      new RegExp(
        `^metadata is ${METADATA_MAX_BYTES + 1} bytes as JSON; at most ${METADATA_MAX_BYTES}`,
      ),
    );
  });

  it('should count bytes, not characters: multi-byte text reaches the limit sooner', () => {
    // 'é' is 2 bytes in UTF-8: 2,100 of them are 4,200 bytes in 2,100 characters.
    refused({ metadata: { note: 'é'.repeat(2100) } }, /^metadata is 4211 bytes/);
  });

  it('should keep a "__proto__" key as data, not as the prototype', () => {
    const parsed = parseSubjectMetadata(JSON.parse('{"metadata": {"__proto__": "x"}}'));
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.deepEqual(Object.keys(parsed), ['__proto__']);
    assert.equal(JSON.stringify(parsed), '{"__proto__":"x"}');
  });
});
