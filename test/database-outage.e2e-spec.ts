import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { fixture } from './support/app.js';
import { startAppBehindProxy, type AppBehindProxy, type TcpProxy } from './support/tcp-proxy.js';

const UNAVAILABLE = { detail: 'Database unavailable' };

describe('when the database goes away while the service runs', () => {
  let proxy: TcpProxy;
  let server: App;
  let service: AppBehindProxy;

  before(async () => {
    service = await startAppBehindProxy();
    ({ server, proxy } = service);
  });

  after(async () => {
    await service?.close();
  });

  it('should answer 503 "Database unavailable" everywhere, then recover by itself', async () => {
    const key = (
      (
        await request(server)
          .post('/upload_reference')
          .attach('image', fixture('person-a-1.jpg'), 'a.jpg')
          .expect(200)
      ).body as { key: string }
    ).key;

    await proxy.cut();
    const listed = await request(server).get('/list_references').expect(503, UNAVAILABLE);
    assert.equal(listed.headers['retry-after'], '5');
    await request(server)
      .post('/upload_reference')
      .attach('image', fixture('person-b-1.jpg'), 'b.jpg')
      .expect(503, UNAVAILABLE);
    await request(server)
      .post('/compare_with_reference')
      .attach('image', fixture('person-a-2.jpg'), 'a2.jpg')
      .field('reference_key', key)
      .expect(503, UNAVAILABLE);
    await request(server).delete(`/delete_reference/${key}`).expect(503, UNAVAILABLE);
    await request(server).get('/health/ready').expect(503);

    await proxy.restore();
    let status = 0;
    for (let attempt = 0; attempt < 20 && status !== 200; attempt++) {
      status = (await request(server).get('/list_references')).status;
      if (status !== 200) await sleep(250);
    }
    assert.equal(status, 200, 'recovered without a restart');
    await request(server)
      .get('/list_references')
      .expect(200, { count: 1, references: [{ key, filename: 'a.jpg' }] });
    await request(server)
      .post('/compare_with_reference')
      .attach('image', fixture('person-a-2.jpg'), 'a2.jpg')
      .field('reference_key', key)
      .expect(200);
    await request(server).get('/health/ready').expect(200);
  });
});
