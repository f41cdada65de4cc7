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
import { MissingFieldsError } from './errors.js';
import { assertImageExtension, imageTypeOf, type AcceptedImageType } from './image-type.js';

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
      for (const [, file] of received) assertImageExtension(file.originalname);
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
 * A multipart form with photos: multer reads it with the service's limits, then every required
 * field is checked to be there (422), every photo's name and bytes to be JPEG or PNG (400), before
 * the handler runs. The handler takes each photo with `@Photo(name)`.
 */
export function PhotoForm(fields: PhotoFormFields): MethodDecorator {
  return applyDecorators(
    UseInterceptors(
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
