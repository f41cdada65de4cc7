import { fileTypeFromBuffer } from 'file-type';

export type AcceptedImageType = 'image/jpeg' | 'image/png';

const ACCEPTED = new Set<string>(['image/jpeg', 'image/png']);

/**
 * The image type the bytes declare by their signature (magic number), whatever the file name or
 * the client's Content-Type say; undefined for anything but JPEG and PNG.
 */
export async function sniffImageType(bytes: Uint8Array): Promise<AcceptedImageType | undefined> {
  const type = await fileTypeFromBuffer(bytes);
  return type && ACCEPTED.has(type.mime) ? (type.mime as AcceptedImageType) : undefined;
}
