import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { envelopeKeyId, ImageCipher, keyIdOf } from './image-cipher.js';
import { ReencryptService } from './reencrypt.service.js';
import { SealedImages, type Resealed, type SealedImage } from './sealed-images.js';

/** Image rows in memory, by reference id; `vanishing` ids are deleted just before their turn. */
class MemoryImages extends SealedImages {
  readonly rows = new Map<number, SealedImage>();
  readonly vanishing = new Set<number>();

  idsAfter(after: number, limit: number): Promise<number[]> {
    const ids = [...this.rows.keys()].filter((id) => id > after).sort((a, b) => a - b);
    return Promise.resolve(ids.slice(0, limit));
  }

  reseal<T>(id: number, reseal: (image: SealedImage) => Resealed<T>): Promise<T | null> {
    if (this.vanishing.has(id)) this.rows.delete(id);
    const row = this.rows.get(id);
    if (!row) return Promise.resolve(null);
    const { bytes, outcome } = reseal(row);
    if (bytes) this.rows.set(id, { ...row, bytes });
    return Promise.resolve(outcome);
  }
}

const PHOTO = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(500)]);
const ref = (id: number) => id.toString(16).padStart(32, '0');

describe('ReencryptService', () => {
  const old = randomBytes(32);
  const current = randomBytes(32);
  const before = new ImageCipher({ current: old, previous: [] });
  const cipher = new ImageCipher({ current, previous: [old] });

  it('should seal plaintext, re-seal old keys, leave current and unreadable rows, skip the gone', async () => {
    const images = new MemoryImages();
    images.rows.set(1, { bytes: PHOTO, referenceKey: ref(1) });
    images.rows.set(2, { bytes: before.seal(PHOTO, ref(2)), referenceKey: ref(2) });
    images.rows.set(3, { bytes: cipher.seal(PHOTO, ref(3)), referenceKey: ref(3) });
    const stranger = randomBytes(32);
    const unreadable = new ImageCipher({ current: stranger, previous: [] });
    images.rows.set(4, { bytes: unreadable.seal(PHOTO, ref(4)), referenceKey: ref(4) });
    images.rows.set(5, { bytes: PHOTO, referenceKey: ref(5) });
    images.vanishing.add(5);
    const lines: string[] = [];

    const counts = await new ReencryptService(images, cipher).reencrypt({
      batchSize: 2,
      log: (line) => lines.push(line),
    });

    assert.deepEqual(counts, {
      scanned: 4,
      rotated: 1,
      encrypted: 1,
      bound: 0,
      current: 1,
      failed: 1,
    });
    for (const id of [1, 2, 3]) {
      const { bytes, referenceKey } = images.rows.get(id)!;
      assert.equal(envelopeKeyId(bytes), keyIdOf(current), `row ${id} under the current key`);
      assert.ok(cipher.open(bytes, referenceKey).equals(PHOTO));
    }
    assert.equal(envelopeKeyId(images.rows.get(4)!.bytes), keyIdOf(stranger), 'left as it was');
    assert.ok(lines.some((line) => line.startsWith('reference image 4:')));
  });
});
