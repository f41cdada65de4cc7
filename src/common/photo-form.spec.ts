import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { of } from 'rxjs';
import {
  InvalidFileExtensionError,
  InvalidFilenameError,
  InvalidImageError,
  MissingFieldsError,
} from './errors.js';
import { photoFormInterceptor, type UploadedImage } from './photo-form.js';

const JPEG_START = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');

function file(originalname: string, buffer: Buffer) {
  return [{ originalname, buffer, mimetype: 'application/octet-stream' }];
}

interface FakeRequest {
  files?: Record<string, unknown>;
  body?: Record<string, unknown>;
  checkedPhotos?: Record<string, UploadedImage>;
}

/** Runs the interceptor on a request as multer left it; whether the handler was reached. */
async function intercept(
  fields: Parameters<typeof photoFormInterceptor>[0],
  request: FakeRequest,
): Promise<boolean> {
  const Interceptor = photoFormInterceptor(fields);
  const context = { switchToHttp: () => ({ getRequest: () => request }) } as ExecutionContext;
  let reached = false;
  const next: CallHandler = {
    handle: () => {
      reached = true;
      return of(undefined);
    },
  };
  await new Interceptor().intercept(context, next);
  return reached;
}

describe('PhotoForm', () => {
  it('should list every missing field in one error, photos first', async () => {
    await assert.rejects(
      intercept({ photos: ['image'], required: ['reference_key'] }, {}),
      (error: MissingFieldsError) => {
        assert.deepEqual(error.fields, ['image', 'reference_key']);
        return true;
      },
    );
  });

  it('should check every name before any bytes', async () => {
    const request = { files: { image1: file('a.jpg', GIF), image2: file('b.gif', JPEG_START) } };
    await assert.rejects(
      intercept({ photos: ['image1', 'image2'] }, request),
      InvalidFileExtensionError,
    );
  });

  it('should judge the image type by its bytes, not its name', async () => {
    for (const bytes of [GIF, Buffer.alloc(0)]) {
      const request = { files: { image: file('cat.JPG', bytes) } };
      await assert.rejects(intercept({ photos: ['image'] }, request), InvalidImageError);
    }
  });

  it('should refuse a name with control or format characters, once its extension is right', async () => {
    for (const name of ['a\u001b[2J.jpg', 'a\u0000.jpg', 'a\u0007.png', 'photo\u202Egnp.png']) {
      const request = { files: { image: file(name, JPEG_START) } };
      await assert.rejects(
        intercept({ photos: ['image'] }, request),
        InvalidFilenameError,
        JSON.stringify(name),
      );
    }
    const request = { files: { image: file('a\u0007.gif', JPEG_START) } };
    await assert.rejects(intercept({ photos: ['image'] }, request), InvalidFileExtensionError);
    const named = { files: { image: file('Zoë 李.jpg', JPEG_START) } };
    assert.equal(await intercept({ photos: ['image'] }, named), true);
  });

  it('should hand the handler each photo with the type its bytes declare', async () => {
    const request: FakeRequest = {
      files: { image: file('me.png', JPEG_START) },
      body: { reference_key: 'abc' },
    };
    assert.equal(
      await intercept({ photos: ['image'], required: ['reference_key'] }, request),
      true,
    );
    assert.deepEqual(request.checkedPhotos, {
      image: { filename: 'me.png', contentType: 'image/jpeg', bytes: JPEG_START },
    });
  });
});
