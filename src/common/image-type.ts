import { fileTypeFromBuffer } from 'file-type';
import { InvalidFileExtensionError, InvalidImageError } from '../common/errors.js';

export type AcceptedImageType = 'image/jpeg' | 'image/png';

const ACCEPTED = new Set<string>(['image/jpeg', 'image/png']);
const IMAGE_EXTENSION = /\.(jpe?g|png)$/i;

/**
 * The image type the bytes declare by their signature (magic number), whatever the file name or
 * the client's Content-Type say; undefined for anything but JPEG and PNG.
 */
export async function sniffImageType(bytes: Uint8Array): Promise<AcceptedImageType | undefined> {
  const type = await fileTypeFromBuffer(bytes);
  return type && ACCEPTED.has(type.mime) ? (type.mime as AcceptedImageType) : undefined;
}

/** The contract's first check on any uploaded photo: its name ends in .jpg, .jpeg or .png. */
export function assertImageExtension(filename: string): void {
  if (!IMAGE_EXTENSION.test(filename)) throw new InvalidFileExtensionError(filename);
}

/** The type the bytes really are; anything but JPEG or PNG is refused before it is decoded. */
export async function imageTypeOf(bytes: Buffer): Promise<AcceptedImageType> {
  const type = await sniffImageType(bytes);
  if (!type) throw new InvalidImageError('Invalid image file');
  return type;
}
