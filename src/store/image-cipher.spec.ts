import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { sealFormat1 } from '../../test/support/format1-envelope.js';
import { EncryptionKeyNotConfiguredError, StoredImageCorruptError } from '../common/errors.js';
import {
  ENVELOPE_MAGIC,
  envelopeFormat,
  envelopeKeyId,
  ImageCipher,
  keyIdOf,
  parseEncryptionKey,
} from './image-cipher.js';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2000)]);
const REF = '0123456789abcdef0123456789abcdef';
const OTHER_REF = 'fedcba9876543210fedcba9876543210';

describe('ImageCipher', () => {
  const key = randomBytes(32);
  const cipher = new ImageCipher({ current: key, previous: [] });

  it('should seal into an envelope that hides the bytes and opens to them exactly', () => {
    const sealed = cipher.seal(JPEG, REF);
    assert.ok(sealed.subarray(0, ENVELOPE_MAGIC.length).equals(ENVELOPE_MAGIC));
    assert.equal(envelopeKeyId(sealed), keyIdOf(key));
    assert.equal(sealed.length, JPEG.length + 37);
    assert.equal(sealed.indexOf(JPEG.subarray(100, 132)), -1, 'no plaintext run in the envelope');
    assert.ok(cipher.open(sealed, REF).equals(JPEG));
    assert.ok(!cipher.seal(JPEG, REF).equals(sealed), 'a fresh IV every time');
  });

  it('should store plaintext when no key is set, and read it back with previous keys only', () => {
    const off = new ImageCipher({ current: null, previous: [] });
    assert.ok(off.seal(JPEG, REF).equals(JPEG));
    assert.ok(off.open(JPEG, REF).equals(JPEG));
    assert.equal(off.currentKeyId, null);
    // Turning encryption off: the old key kept readable, new uploads plaintext.
    const decrypting = new ImageCipher({ current: null, previous: [key] });
    assert.ok(decrypting.open(JPEG, REF).equals(JPEG));
    assert.ok(decrypting.open(cipher.seal(JPEG, REF), REF).equals(JPEG));
  });

  it('should refuse plaintext bytes while a key is set, unless plaintext is allowed', () => {
    assert.throws(
      () => cipher.open(JPEG, REF),
      (error: StoredImageCorruptError) => error.keyId === null && /unencrypted/.test(error.reason),
    );
    const migrating = new ImageCipher({ current: key, previous: [], allowPlaintext: true });
    assert.ok(migrating.open(JPEG, REF).equals(JPEG));
    assert.equal(migrating.isCurrent(JPEG), false);
  });

  it('should open an envelope only in the row of the reference it was sealed for', () => {
    const sealed = cipher.seal(JPEG, REF);
    assert.equal(envelopeFormat(sealed), 2);
    assert.throws(
      () => cipher.open(sealed, OTHER_REF),
      (error: StoredImageCorruptError) => /another reference/.test(error.reason),
    );
    assert.throws(() => cipher.open(sealed, ''), StoredImageCorruptError);
  });

  it('should still open format 1 envelopes, in any row, and not count them as current', () => {
    const old = sealFormat1(key, JPEG);
    assert.equal(envelopeFormat(old), 1);
    assert.equal(envelopeKeyId(old), keyIdOf(key));
    assert.ok(cipher.open(old, REF).equals(JPEG));
    assert.ok(cipher.open(old, OTHER_REF).equals(JPEG));
    assert.equal(cipher.isCurrent(old), false);
    assert.equal(cipher.isCurrent(cipher.seal(JPEG, REF)), true);
    const tampered = Buffer.from(old);
    tampered[tampered.length - 1] ^= 0x01;
    assert.throws(() => cipher.open(tampered, REF), StoredImageCorruptError);
  });

  it('should refuse an envelope of an unknown format', () => {
    const future = cipher.seal(JPEG, REF);
    future[ENVELOPE_MAGIC.length - 1] = 9;
    assert.throws(() => cipher.open(future, REF), StoredImageCorruptError);
  });

  it('should refuse an altered envelope, wherever the change is', () => {
    const sealed = cipher.seal(JPEG, REF);
    for (const offset of [sealed.length - 1, 40, 30, 20]) {
      const tampered = Buffer.from(sealed);
      tampered[offset] ^= 0x01;
      assert.throws(() => cipher.open(tampered, REF), StoredImageCorruptError, `byte ${offset}`);
    }
    assert.throws(() => cipher.open(sealed.subarray(0, 30), REF), StoredImageCorruptError);
  });

  it('should name the key id when the key is not configured, and read it as a previous key', () => {
    const sealed = cipher.seal(JPEG, REF);
    const other = new ImageCipher({ current: randomBytes(32), previous: [] });
    assert.throws(
      () => other.open(sealed, REF),
      (error: EncryptionKeyNotConfiguredError) => error.keyId === keyIdOf(key),
    );
    const rotated = new ImageCipher({ current: randomBytes(32), previous: [key] });
    assert.ok(rotated.open(sealed, REF).equals(JPEG));
    assert.equal(rotated.isCurrent(sealed), false);
    assert.equal(rotated.isCurrent(rotated.seal(JPEG, REF)), true);
  });

  it('should take keys as 64 hex characters or 32 bytes of base64, nothing else', () => {
    const hex = key.toString('hex');
    assert.ok(parseEncryptionKey(hex)?.equals(key));
    assert.ok(parseEncryptionKey(key.toString('base64'))?.equals(key));
    assert.equal(parseEncryptionKey(hex.slice(2)), null);
    assert.equal(parseEncryptionKey(randomBytes(24).toString('base64')), null);
    assert.equal(parseEncryptionKey('correct horse battery staple'), null);
    const fromText = ImageCipher.fromSettings(hex, `${randomBytes(32).toString('base64')}`);
    assert.equal(fromText.currentKeyId, keyIdOf(key));
    assert.equal(fromText.readableKeyIds.length, 2);
  });
});
