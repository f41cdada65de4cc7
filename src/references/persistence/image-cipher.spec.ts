import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { EncryptionKeyNotConfiguredError, StoredImageCorruptError } from '../../common/errors.js';
import {
  ENVELOPE_MAGIC,
  envelopeKeyId,
  ImageCipher,
  keyIdOf,
  parseEncryptionKey,
} from './image-cipher.js';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2000)]);

describe('ImageCipher', () => {
  const key = randomBytes(32);
  const cipher = new ImageCipher({ current: key, previous: [] });

  it('should seal into an envelope that hides the bytes and opens to them exactly', () => {
    const sealed = cipher.seal(JPEG);
    assert.ok(sealed.subarray(0, ENVELOPE_MAGIC.length).equals(ENVELOPE_MAGIC));
    assert.equal(envelopeKeyId(sealed), keyIdOf(key));
    assert.equal(sealed.length, JPEG.length + 37);
    assert.equal(sealed.indexOf(JPEG.subarray(100, 132)), -1, 'no plaintext run in the envelope');
    assert.ok(cipher.open(sealed).equals(JPEG));
    assert.ok(!cipher.seal(JPEG).equals(sealed), 'a fresh IV every time');
  });

  it('should pass plaintext rows through, and store plaintext when no key is set', () => {
    assert.ok(cipher.open(JPEG).equals(JPEG));
    const off = new ImageCipher({ current: null, previous: [] });
    assert.ok(off.seal(JPEG).equals(JPEG));
    assert.equal(off.currentKeyId, null);
  });

  it('should refuse an altered envelope, wherever the change is', () => {
    const sealed = cipher.seal(JPEG);
    for (const offset of [sealed.length - 1, 40, 30, 20]) {
      const tampered = Buffer.from(sealed);
      tampered[offset] ^= 0x01;
      assert.throws(() => cipher.open(tampered), StoredImageCorruptError, `byte ${offset}`);
    }
    assert.throws(() => cipher.open(sealed.subarray(0, 30)), StoredImageCorruptError);
  });

  it('should name the key id when the key is not configured, and read it as a previous key', () => {
    const sealed = cipher.seal(JPEG);
    const other = new ImageCipher({ current: randomBytes(32), previous: [] });
    assert.throws(
      () => other.open(sealed),
      (error: EncryptionKeyNotConfiguredError) => error.keyId === keyIdOf(key),
    );
    const rotated = new ImageCipher({ current: randomBytes(32), previous: [key] });
    assert.ok(rotated.open(sealed).equals(JPEG));
    assert.equal(rotated.isCurrent(sealed), false);
    assert.equal(rotated.isCurrent(rotated.seal(JPEG)), true);
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
