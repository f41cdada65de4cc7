import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { FaceBox } from '../common/face-box.js';
import { asOperation } from '../common/operation.js';
import { ReferencesService } from './references.service.js';

/** The sides a thumbnail may have, in pixels: a list's 48 to a person page's 512. */
export const FACE_SIZE_MIN = 16;
export const FACE_SIZE_MAX = 512;
export const FACE_SIZE_DEFAULT = 96;

/** Room around the detector's box, per side, as a share of its larger side: the hair and chin. */
const MARGIN = 0.25;
/** About 5 KB each at 96 px: a few hundred people's list pages in a megabyte or two. */
const CACHE_ENTRIES = 256;

export type FaceThumbnail =
  { notModified: true; etag: string } | { notModified: false; etag: string; bytes: Buffer };

/**
 * A reference's enrolled face, cropped from its stored photo (decrypted as the download is) and
 * scaled to a square. The ETag names the reference, the size and the box, so a re-embedding that
 * moves the box gives a new one; a matching If-None-Match is answered from the metadata alone.
 */
@Injectable()
export class FaceThumbnails {
  private readonly cache = new Map<string, Buffer>();

  constructor(private readonly references: ReferencesService) {}

  async face(
    collection: string,
    key: string,
    size: number,
    ifNoneMatch?: string,
  ): Promise<FaceThumbnail> {
    const { box, model } = await this.references.describe(collection, key);
    // The collection too: the cache is this replica's, shared by every collection.
    const etag = etagOf(collection, key, size, box, model);
    if (ifNoneMatch !== undefined && matches(ifNoneMatch, etag)) return { notModified: true, etag };
    const cached = this.cache.get(etag);
    if (cached) {
      // Map keeps insertion order: moving a hit to the end makes the first entry the least recent.
      this.cache.delete(etag);
      this.cache.set(etag, cached);
      return { notModified: false, etag, bytes: cached };
    }
    const { bytes: photo } = await this.references.image(collection, key);
    const bytes = await asOperation('Error reading reference', () => crop(photo, box, size));
    this.cache.set(etag, bytes);
    if (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    return { notModified: false, etag, bytes };
  }
}

function etagOf(
  collection: string,
  key: string,
  size: number,
  box: FaceBox,
  model: string,
): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([collection, key, size, box.x, box.y, box.width, box.height, model]))
    .digest('base64url');
  return `"${digest.slice(0, 27)}"`;
}

/** If-None-Match holds a list of tags, weak or strong, or `*`. */
function matches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === etag || tag === '*');
}

/** The box with its margin, made square where the photo has room, inside the upright photo. */
export function faceRegion(
  box: FaceBox,
  photo: { width: number; height: number },
): { left: number; top: number; width: number; height: number } {
  const side = Math.max(box.width, box.height) * (1 + 2 * MARGIN);
  const centreX = box.x + box.width / 2;
  const centreY = box.y + box.height / 2;
  const left = Math.max(0, Math.round(centreX - side / 2));
  const top = Math.max(0, Math.round(centreY - side / 2));
  const right = Math.min(photo.width, Math.round(centreX + side / 2));
  const bottom = Math.min(photo.height, Math.round(centreY + side / 2));
  return { left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) };
}

async function crop(photo: Buffer, box: FaceBox, size: number): Promise<Buffer> {
  const { autoOrient } = await sharp(photo).metadata();
  // rotate() before extract(): the box is in the upright photo's pixels, as the engine saw it.
  return sharp(photo)
    .rotate()
    .extract(faceRegion(box, autoOrient))
    .resize(size, size, { fit: 'cover' })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 82, mozjpeg: true })
    .toBuffer();
}
