import { fileTypeFromBuffer } from 'file-type';
import { InvalidFileExtensionError, InvalidImageError } from '../common/errors.js';

export type AcceptedImageType = 'image/jpeg' | 'image/png';

/**
 * The signatures accepted, and the type each is stored and served as. An animated PNG is a PNG
 * with extra chunks: the PNG decoder reads its default image, the first frame (as every encoder
 * writes it), and skips the others unread, so it costs no more than a still PNG; its bytes are
 * kept whole, served as image/png as browsers expect.
 */
const ACCEPTED = new Map<string, AcceptedImageType>([
  ['image/jpeg', 'image/jpeg'],
  ['image/png', 'image/png'],
  ['image/apng', 'image/png'],
]);
const IMAGE_EXTENSION = /\.(jpe?g|png)$/i;

/**
 * The image type the bytes declare by their signature (magic number), whatever the file name or
 * the client's Content-Type say; undefined for anything but JPEG and PNG (animated or not).
 */
export async function sniffImageType(bytes: Uint8Array): Promise<AcceptedImageType | undefined> {
  const type = await fileTypeFromBuffer(bytes);
  return type && ACCEPTED.get(type.mime);
}

/** The contract's first check on any uploaded photo: its name ends in .jpg, .jpeg or .png. */
export function assertImageExtension(filename: string): void {
  if (!IMAGE_EXTENSION.test(filename)) throw new InvalidFileExtensionError(filename);
}

/** The type the bytes really are; anything but JPEG or PNG is refused before it is decoded. */
export async function imageTypeOf(bytes: Buffer): Promise<AcceptedImageType> {
  const type = await sniffImageType(bytes);
  if (!type) throw new InvalidImageError();
  return type;
}
