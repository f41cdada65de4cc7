import { createCipheriv, randomBytes } from 'node:crypto';
import { keyIdOf } from '../../src/store/image-cipher.js';

/**
 * An envelope as format 1 sealed it, before envelopes were bound to their reference: only the
 * header authenticated.
 */
export function sealFormat1(key: Buffer, plain: Buffer): Buffer {
  const header = Buffer.concat([
    Buffer.from('FGE\x00\x01', 'latin1'),
    Buffer.from(keyIdOf(key), 'hex'),
  ]);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(header);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([header, iv, cipher.getAuthTag(), ciphertext]);
}
