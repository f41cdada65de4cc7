// GET /references/{key}/face on the fake engine: the crop's size, its ETag and 304, the bounds of
// `size`, and the errors of a reference route. The crop of a real face is in references.e2e-spec.ts.
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import * as calls from '../support/calls.js';
import { startContractApp } from '../support/contract-app.js';
import { downloadBytes } from '../support/round-trip.js';

describe('GET /references/{key}/face', () => {
  let app: INestApplication;
  let server: App;
  let key: string;

  before(async () => {
    ({ app } = await startContractApp());
    server = app.getHttpServer() as App;
    key = await calls.enrol(server, 'person-a-1.jpg');
  });

  after(async () => {
    await app?.close();
  });

  const face = (query = '') => downloadBytes(server, `/references/${key}/face${query}`);

  it('should answer a square JPEG of 96 pixels by default, with an ETag and no-cache', async () => {
    const response = await face().expect(200).expect('Content-Type', 'image/jpeg');
    assert.match(String(response.headers.etag), /^"[\w-]{27}"$/);
    assert.equal(response.headers['cache-control'], 'private, no-cache');
    const { format, width, height } = await sharp(response.body as Buffer).metadata();
    assert.deepEqual({ format, width, height }, { format: 'jpeg', width: 96, height: 96 });
  });

  it('should answer the size asked for, from 16 to 512, each size with its own ETag', async () => {
    const tags = new Set<string>();
    for (const size of [16, 48, 512]) {
      const response = await face(`?size=${size}`).expect(200);
      const { width, height } = await sharp(response.body as Buffer).metadata();
      assert.deepEqual([width, height], [size, size]);
      tags.add(String(response.headers.etag));
    }
    assert.equal(tags.size, 3);
  });

  it('should answer 304 with no body when If-None-Match names the ETag, and 200 for another', async () => {
    const { headers } = await face('?size=48').expect(200);
    const etag = String(headers.etag);
    const unchanged = await face('?size=48').set('If-None-Match', etag).expect(304);
    assert.equal(unchanged.headers.etag, etag);
    assert.equal((unchanged.body as Buffer).length, 0);
    await face('?size=48').set('If-None-Match', `"other", W/${etag}`).expect(304);
    await face('?size=48').set('If-None-Match', '"other"').expect(200);
    await face('?size=64').set('If-None-Match', etag).expect(200);
  });

  it('should record each look in the audit trail, a 304 as 304', async () => {
    const { headers } = await face('?size=32').set('X-Request-Id', 'face-first').expect(200);
    await face('?size=32')
      .set('If-None-Match', String(headers.etag))
      .set('X-Request-Id', 'face-again')
      .expect(304);
    const trail = await request(server).get('/audit?action=face-download').expect(200);
    const entries = (trail.body as { entries: { request_id: string; outcome: number }[] }).entries;
    const outcome = (id: string) => entries.find((entry) => entry.request_id === id)?.outcome;
    assert.deepEqual([outcome('face-first'), outcome('face-again')], [200, 304]);
  });

  it('should answer the same bytes from its cache as the first time', async () => {
    const first = await face('?size=40').expect(200);
    const second = await face('?size=40').expect(200);
    assert.ok((first.body as Buffer).equals(second.body as Buffer));
  });

  for (const [size, message] of [
    ['15', /size must not be less than 16/],
    ['513', /size must not be greater than 512/],
    ['big', /size must be an integer/],
    ['1.5', /size must be an integer/],
    ['', /size must be an integer in decimal digits/],
  ] as const) {
    it(`should answer 400 for size=${size}`, async () => {
      const refused = await request(server).get(`/references/${key}/face?size=${size}`).expect(400);
      assert.match((refused.body as { detail: string }).detail, message);
    });
  }

  it('should answer 400 for an invalid key and 404 for an unknown one, as the photo does', async () => {
    for (const path of ['image', 'face']) {
      await request(server)
        .get(`/references/not-a-key!/${path}`)
        .expect(400, { detail: 'Invalid reference key' });
      await request(server)
        .get(`/references/deadbeef/${path}`)
        .expect(404, { detail: 'No reference embedding found with key: deadbeef' });
    }
  });
});
