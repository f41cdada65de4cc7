// One client's slow uploads cannot hold the whole upload budget: a client (here 127.0.0.2, which
// declares large bodies and sends a byte a second) may hold at most its share of
// MAX_INFLIGHT_UPLOAD_BYTES, another client (127.0.0.1) is served meanwhile, and bodies that
// arrive slower than HTTP_BODY_MIN_BYTES_PER_SECOND are cut, their budget given back.
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { UploadBudget } from '../src/common/upload-budget.js';
import { fixture, startApp } from './support/app.js';
import { multipart, postHead, rawClient, trickle, type RawClient } from './support/raw-http.js';

const MIB = 1024 * 1024;
const TRICKLER = '127.0.0.2';
const TRICKLERS = 4;
// Three such bodies fill the 3 MiB budget, leaving less room than the normal client's photo.
const TRICKLED_PHOTO_BYTES = 1_040_000;
// Short, so that the test is: the defaults are 1 KiB/s over 10 s.
const MIN_BYTES_PER_SECOND = 4096;
const MIN_RATE_WINDOW_MS = 3000;

describe("each client's share of the upload budget", () => {
  let app: INestApplication;
  let port: number;
  let budget: UploadBudget;

  before(async () => {
    app = await startApp({
      FACE_WORKERS: '1',
      MAX_UPLOAD_BYTES: String(MIB),
      MAX_INFLIGHT_UPLOAD_BYTES: String(3 * MIB),
      HTTP_BODY_MIN_BYTES_PER_SECOND: String(MIN_BYTES_PER_SECOND),
      HTTP_BODY_MIN_RATE_WINDOW_MS: String(MIN_RATE_WINDOW_MS),
    });
    await app.listen(0, '127.0.0.1');
    port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
    budget = app.get(UploadBudget);
  });

  after(async () => {
    await app?.close();
  });

  const clients: RawClient[] = [];
  const stopTrickling: (() => void)[] = [];

  afterEach(async () => {
    stopTrickling.splice(0).forEach((stop) => stop());
    for (const client of clients) client.socket.destroy();
    await Promise.all(clients.splice(0).map((client) => client.closed));
    for (let wait = 0; wait < 50 && budget.inUse > 0; wait++) await sleep(20);
    assert.equal(budget.inUse, 0, 'every byte given back');
  });

  /**
   * A client on `TRICKLER` that declares a photo of TRICKLED_PHOTO_BYTES, then sends its body a
   * byte a second until stopped or closed.
   */
  async function trickler(): Promise<RawClient> {
    const { body, contentType } = multipart([
      { name: 'image', filename: 'slow.jpg', content: randomBytes(TRICKLED_PHOTO_BYTES) },
    ]);
    const client = await rawClient(port, { localAddress: TRICKLER, allowHalfOpen: true });
    clients.push(client);
    await client.send(postHead('/upload_reference', contentType, body.length));
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < body.length) void client.send(body.subarray(sent, ++sent));
    }, 1000);
    stopTrickling.push(() => clearInterval(timer));
    void client.closed.then(() => clearInterval(timer));
    await client.send(body.subarray(0, ++sent));
    return client;
  }

  const upload = async (): Promise<Response> => {
    const form = new FormData();
    form.append('image', new Blob([fixture('person-a-1.jpg')]), 'a.jpg');
    return fetch(`http://127.0.0.1:${port}/upload_reference`, { method: 'POST', body: form });
  };

  it("should serve another client's upload while one client's slow uploads hold their share, and cut them under the minimum rate", async () => {
    const slow: RawClient[] = [];
    for (let index = 0; index < TRICKLERS; index++) slow.push(await trickler());
    // Let the server see all of them.
    for (let wait = 0; wait < 50 && budget.inUse < TRICKLED_PHOTO_BYTES; wait++) await sleep(20);
    await sleep(300);

    const response = await upload();
    assert.equal(response.status, 200, await response.text());

    // The first is admitted; the others are refused for going over their client's share.
    const refused = slow.filter((client) => client.status() === 503);
    assert.equal(refused.length, TRICKLERS - 1, slow.map((client) => client.status()).join(','));
    assert.match(refused[0].received(), /\r\nRetry-After: 5\r\n/i);
    assert.match(refused[0].received(), /\r\nConnection: close\r\n/i);
    assert.match(refused[0].received(), /"detail":"Server busy: this client's uploads already/);

    // The admitted one sends a byte a second, under the minimum: cut at the end of a window,
    // though it never pauses for the idle timeout, and its budget given back at once.
    const admitted = slow[0];
    for (let wait = 0; wait < 200 && admitted.status() === undefined; wait++) await sleep(50);
    assert.equal(admitted.status(), 408, admitted.received().slice(0, 300));
    assert.match(admitted.received(), /\r\nConnection: close\r\n/i);
    assert.match(
      admitted.received(),
      /"detail":"Request body arrived too slowly: \d+ bytes in 3000 ms/,
    );
    for (let wait = 0; wait < 10 && budget.inUse > 0; wait++) await sleep(20);
    assert.equal(budget.inUse, 0, 'the budget is given back with the answer');
  });

  it('should let a body that keeps above the minimum rate arrive over several windows', async () => {
    const { body, contentType } = multipart([
      { name: 'image', filename: 'a.jpg', content: fixture('person-a-1.jpg') },
    ]);
    const client = await rawClient(port, { localAddress: TRICKLER });
    clients.push(client);
    await client.send(postHead('/upload_reference', contentType, body.length));
    // About 7 KB a second, for longer than a window.
    const pieces = Math.ceil(body.length / 3500);
    await trickle(client, body, pieces, 500);
    for (let wait = 0; wait < 200 && client.status() === undefined; wait++) await sleep(50);
    assert.equal(client.status(), 200, client.received().slice(0, 300));
  });
});
