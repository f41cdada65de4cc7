import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidIdempotencyKeyError } from '../common/errors.js';
import {
  fingerprint,
  parseIdempotencyKey,
  scopeOf,
  type RequestIdentity,
} from './idempotent-request.js';

const upload: RequestIdentity = {
  method: 'POST',
  route: '/upload_reference',
  params: {},
  query: {},
  body: { subject: 'amy', multi_face_policy: 'dominant' },
  files: [{ field: 'image', filename: 'amy.jpg', bytes: Buffer.from('photo bytes') }],
};

describe('parseIdempotencyKey', () => {
  it('should accept 1 to 255 printable ASCII characters, spaces and punctuation included', () => {
    for (const key of ['a', 'x'.repeat(255), 'order 42/retry#1', '~!@"{}']) {
      assert.equal(parseIdempotencyKey(key), key);
    }
  });

  it('should refuse an empty, a too long, a non-ASCII or a control-character key with 400', () => {
    for (const key of ['', 'x'.repeat(256), 'clé', 'tab\there', 'nul\0', 'emoji🙂']) {
      assert.throws(
        () => parseIdempotencyKey(key),
        InvalidIdempotencyKeyError,
        JSON.stringify(key),
      );
    }
  });

  it('should refuse two keys sent as an array', () => {
    assert.throws(() => parseIdempotencyKey(['a', 'b']), InvalidIdempotencyKeyError);
  });
});

describe('fingerprint', () => {
  it('should be the same for the same request, whatever order the fields came in', () => {
    const reordered = { ...upload, body: { multi_face_policy: 'dominant', subject: 'amy' } };
    assert.equal(fingerprint(reordered), fingerprint(upload));
    assert.match(fingerprint(upload), /^[0-9a-f]{64}$/);
  });

  it('should differ when one byte of the file differs', () => {
    const other = { ...upload, files: [{ ...upload.files[0], bytes: Buffer.from('photo bytez') }] };
    assert.notEqual(fingerprint(other), fingerprint(upload));
  });

  it('should differ by file name, field, method, route, path parameter, query and body', () => {
    const variants: RequestIdentity[] = [
      { ...upload, files: [{ ...upload.files[0], filename: 'bob.jpg' }] },
      { ...upload, files: [{ ...upload.files[0], field: 'image1' }] },
      { ...upload, files: [] },
      { ...upload, method: 'PUT' },
      { ...upload, route: '/verify' },
      { ...upload, params: { key: 'a' } },
      { ...upload, query: { limit: '1' } },
      { ...upload, body: { subject: 'bob', multi_face_policy: 'dominant' } },
      { ...upload, body: { subject: 'amy' } },
    ];
    const prints = new Set([upload, ...variants].map(fingerprint));
    assert.equal(prints.size, variants.length + 1);
  });

  it('should tell path parameters apart, so one key cannot replay a delete of another reference', () => {
    const remove = (key: string): RequestIdentity => ({
      method: 'DELETE',
      route: '/delete_reference/:key',
      params: { key },
      query: {},
      body: {},
      files: [],
    });
    assert.notEqual(fingerprint(remove('a1')), fingerprint(remove('a2')));
  });

  it('should not confuse a field value with the structure around it', () => {
    const one = { ...upload, body: { subject: 'a","b' } };
    const two = { ...upload, body: { subject: 'a', b: '' } };
    assert.notEqual(fingerprint(one), fingerprint(two));
  });
});

describe('scopeOf', () => {
  it('should keep a digest of the API key, never the key, and one empty scope without keys', () => {
    const key = 'secret-api-key-0123456789';
    assert.match(scopeOf(key), /^[0-9a-f]{64}$/);
    assert.ok(!scopeOf(key).includes(key));
    assert.notEqual(scopeOf(key), scopeOf(`${key}x`));
    assert.equal(scopeOf(undefined), '');
  });
});
