import {
  applyDecorators,
  createParamDecorator,
  Injectable,
  mixin,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import { FileFieldsInterceptor } from '@nestjs/platform-express';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { AppConfig } from '../config/app-config.js';
import {
  InvalidFilenameError,
  MissingFieldsError,
  UploadsBusyError,
  UploadTooLargeError,
} from './errors.js';
import { assertImageExtension, imageTypeOf, type AcceptedImageType } from './image-type.js';
import { UploadBudget } from './upload-budget.js';
import { PRINTABLE_TEXT } from './validation.js';

/** Room in a form for its text fields and the parts' headers, besides the photos. */
const FORM_ALLOWANCE_BYTES = 1024 * 1024;

/** A photo's name is fit to store: it ends in .jpg, .jpeg or .png, and it is printable text. */
export function assertPhotoName(filename: string): void {
  assertImageExtension(filename);
  // It is stored, listed and logged: an escape sequence or a bidi override in it would
  // reach terminals and pages. RFC 5987's filename*= can carry any of them.
  if (!PRINTABLE_TEXT.test(filename)) throw new InvalidFilenameError(filename);
}

/** A photo from a multipart form, checked: its name says JPEG or PNG, and its bytes are one. */
export interface UploadedImage {
  filename: string;
  /** From the bytes' signature, not from the client. */
  contentType: AcceptedImageType;
  bytes: Buffer;
}

export interface PhotoFormFields {
  /** File fields, each one photo, all required. */
  photos: string[];
  /** Text fields that are required as well. */
  required?: string[];
}

type MultipartRequest = Request & {
  files?: Record<string, Express.Multer.File[] | undefined>;
  checkedPhotos?: Record<string, UploadedImage>;
};

/**
 * Before multer reads a byte: a body declared larger than any valid form of these photos is 413,
 * and one that does not fit in the upload budget is 503. Chunked bodies are counted as multer
 * buffers them (`BudgetedMemoryStorage`).
 */
export function uploadAdmissionInterceptor(photoCount: number): Type<NestInterceptor> {
  @Injectable()
  class UploadAdmissionInterceptor implements NestInterceptor {
    constructor(
      private readonly budget: UploadBudget,
      private readonly config: AppConfig,
    ) {}

    intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
      const request = context.switchToHttp().getRequest<Request>();
      const declared = Number(request.headers['content-length']);
      if (Number.isSafeInteger(declared) && declared > 0) {
        const { MAX_UPLOAD_BYTES } = this.config.env;
        if (declared > photoCount * MAX_UPLOAD_BYTES + FORM_ALLOWANCE_BYTES) {
          throw new UploadTooLargeError(MAX_UPLOAD_BYTES);
        }
        const admission = this.budget.admit(request, declared);
        if (admission !== 'admitted') throw new UploadsBusyError(admission);
      }
      return next.handle();
    }
  }
  return mixin(UploadAdmissionInterceptor);
}

export function photoFormInterceptor({
  photos,
  required = [],
}: PhotoFormFields): Type<NestInterceptor> {
  @Injectable()
  class PhotoFormInterceptor implements NestInterceptor {
    async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
      const request = context.switchToHttp().getRequest<MultipartRequest>();
      const files = request.files ?? {};
      const body = (request.body ?? {}) as Record<string, unknown>;
      const received: [string, Express.Multer.File][] = [];
      const missing: string[] = [];
      for (const name of photos) {
        const file = files[name]?.[0];
        if (file) received.push([name, file]);
        else missing.push(name);
      }
      missing.push(...required.filter((name) => body[name] === undefined));
      // Every absent field in one 422, as FastAPI lists them; then names before bytes.
      if (missing.length > 0) throw new MissingFieldsError(missing);
      for (const [, file] of received) assertPhotoName(file.originalname);
      const checked: Record<string, UploadedImage> = {};
      for (const [name, file] of received) {
        checked[name] = {
          filename: file.originalname,
          contentType: await imageTypeOf(file.buffer),
          bytes: file.buffer,
        };
      }
      request.checkedPhotos = checked;
      return next.handle();
    }
  }
  return mixin(PhotoFormInterceptor);
}

/**
 * A multipart form with photos: admitted into the upload budget, read by multer with the
 * service's limits, then every required field is checked to be there (422), every photo's name
 * to end in .jpg, .jpeg or .png and be printable text, and its bytes to be JPEG or PNG (400),
 * before the handler runs. The handler takes each photo with
 * `@Photo(name)`.
 */
export function PhotoForm(fields: PhotoFormFields): MethodDecorator {
  return applyDecorators(
    UseInterceptors(
      uploadAdmissionInterceptor(fields.photos.length),
      FileFieldsInterceptor(fields.photos.map((name) => ({ name, maxCount: 1 }))),
      photoFormInterceptor(fields),
    ),
  );
}

/** The photo of a `@PhotoForm` field, checked. */
export const Photo = createParamDecorator((name: string, context: ExecutionContext) => {
  const photo = context.switchToHttp().getRequest<MultipartRequest>().checkedPhotos?.[name];
  if (!photo) throw new Error(`@Photo('${name}') used on a handler without @PhotoForm for it`);
  return photo;
});
