// MAX_INFLIGHT_UPLOAD_BYTES: the bodies held in memory at once are bounded, decided from
// Content-Length before a byte is read, and counted as buffered for chunked bodies.
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { UploadBudget } from '../../src/common/upload-budget.js';
import { fixture } from '../support/app.js';
import { chunk, multipart, postHead, rawClient, type RawClient } from '../support/raw-http.js';
import { startContractApp } from '../support/contract-app.js';

const MIB = 1024 * 1024;
const PHOTO_BYTES = 900 * 1024;

describe('the upload budget', () => {
  let app: INestApplication;
  let port: number;
  let budget: UploadBudget;

  before(async () => {
    app = (
      await startContractApp({
        FACE_WORKERS: '1',
        MAX_UPLOAD_BYTES: String(MIB),
        MAX_INFLIGHT_UPLOAD_BYTES: String(3 * MIB),
        // Every client here is 127.0.0.1: this spec is about all clients' uploads together, and
        // client-budget.e2e-spec.ts about each one's share of them.
        MAX_INFLIGHT_UPLOAD_BYTES_PER_CLIENT: String(3 * MIB),
      })
    ).app;
    await app.listen(0, '127.0.0.1');
    port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
    budget = app.get(UploadBudget);
  });

  after(async () => {
    await app?.close();
  });

  /** Two photos of noise, each under MAX_UPLOAD_BYTES. */
  const twoPhotos = () =>
    multipart([
      { name: 'image1', filename: 'one.jpg', content: randomBytes(PHOTO_BYTES) },
      { name: 'image2', filename: 'two.jpg', content: randomBytes(PHOTO_BYTES) },
    ]);
  const clients: RawClient[] = [];
  const connect = async (): Promise<RawClient> => {
    const client = await rawClient(port);
    clients.push(client);
    return client;
  };

  /** Closes every client of the test; then the budget must be empty again. */
  afterEach(async () => {
    for (const client of clients) client.socket.destroy();
    await Promise.all(clients.splice(0).map((client) => client.closed));
    // The server sees the sockets close a moment later.
    for (let wait = 0; wait < 50 && budget.inUse > 0; wait++) await sleep(20);
    assert.equal(budget.inUse, 0, 'every byte given back');
  });

  const assertBusy = (client: RawClient): void => {
    assert.equal(client.status(), 503, client.received().slice(0, 200));
    assert.match(client.received(), /\r\nRetry-After: 5\r\n/i);
    assert.match(client.received(), /\r\nConnection: close\r\n/i);
    assert.ok(
      client
        .received()
        .endsWith('{"detail":"Server busy: too many uploads are arriving at once; retry shortly"}'),
      client.received(),
    );
  };

  it('should answer 503 from Content-Length before reading a body that does not fit, and admit one that does', async () => {
    const { body, contentType } = twoPhotos();
    const stalled = await connect();
    await stalled.send(postHead('/verify', contentType, body.length));
    await stalled.send(body.subarray(0, body.length / 2));

    const { body: large } = twoPhotos();
    const refused = await connect();
    // The head alone: the answer must not wait for the body.
    await refused.send(postHead('/verify', contentType, large.length));
    const closedAfter = await refused.closedWithin(5000);
    assert.ok(closedAfter !== null, 'the connection is closed without reading the body');
    assertBusy(refused);

    // A small upload fits beside the stalled one.
    const small = new FormData();
    small.append('image', new Blob([fixture('person-a-1.jpg')]), 'a.jpg');
    const upload = await fetch(`http://127.0.0.1:${port}/upload_reference`, {
      method: 'POST',
      body: small,
    });
    assert.equal(upload.status, 200);
  });

  it('should count a chunked body as it is buffered, and refuse it once it goes over', async () => {
    const { body, contentType } = twoPhotos();
    const first = await connect();
    await first.send(postHead('/verify', contentType, null));
    await first.send(chunk(body.subarray(0, body.length - 100)));
    // Busboy keeps back the last bytes of a file until it sees the boundary after them.
    const buffered = () => budget.inUse >= 2 * PHOTO_BYTES - 1024;
    for (let wait = 0; wait < 100 && !buffered(); wait++) await sleep(20);
    assert.ok(buffered() && budget.inUse <= 2 * PHOTO_BYTES, `${budget.inUse} bytes counted`);

    const second = await connect();
    await second.send(postHead('/verify', contentType, null));
    await second.send(chunk(body));
    await second.send(chunk(Buffer.alloc(0)));
    await second.closedWithin(5000);
    assertBusy(second);
  });

  it('should answer 413 at once for a body declared larger than any form of its photos', async () => {
    const client = await connect();
    await client.send(postHead('/upload_reference', 'multipart/form-data; boundary=x', 50 * MIB));
    // Closed rather than kept open, which would read the 50 MiB it announced.
    assert.notEqual(await client.closedWithin(2000), null, 'closed by the server');
    assert.equal(client.status(), 413, client.received().slice(0, 200));
    assert.match(client.received(), /\r\nConnection: close\r\n/i);
  });
});
