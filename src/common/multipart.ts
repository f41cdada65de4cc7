import { MissingFieldsError } from './errors.js';

/** A photo from a multipart form, as the services take it. */
export interface UploadedImage {
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/** Throws the FastAPI-style 422 listing every required form field that is absent. */
export function requireFields(fields: Record<string, unknown>): void {
  const missing = Object.entries(fields)
    .filter(([, value]) => value === undefined)
    .map(([name]) => name);
  if (missing.length > 0) throw new MissingFieldsError(missing);
}

export function toUploadedImage(file: Express.Multer.File): UploadedImage {
  return { filename: file.originalname, contentType: file.mimetype, bytes: file.buffer };
}
