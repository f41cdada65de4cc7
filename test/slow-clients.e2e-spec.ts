// Clients that send their requests slowly, or start and stall: the service bounds the memory
// their bodies hold and the time they may take, and keeps serving everyone else meanwhile. The
// service runs as a child process, so its RSS is its own.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fixture } from './support/app.js';
import { multipart, postHead, rawClient, trickle, type RawClient } from './support/raw-http.js';
import { startServiceProcess, type ServiceProcess } from './support/service-process.js';

const STALLED_UPLOADS = 16;
const FILE_BYTES = 9_000_000;
const IDLE_TIMEOUT_MS = 3000;
const HEADERS_TIMEOUT_MS = 3000;
const REQUEST_TIMEOUT_MS = 8000;
const MB = 2 ** 20;
// The server keeps reading a refused body until the client pauses for the idle timeout.
const IDLE_MS_LINGER_BOUND = IDLE_TIMEOUT_MS + 5000;

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) * 1024;
}

describe('slow and stalled clients', () => {
  let service: ServiceProcess;
  let port: number;

  before(async () => {
    service = await startServiceProcess({
      FACE_WORKERS: '1',
      HTTP_BODY_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      // The stalled uploads stand for as many clients, but all come from 127.0.0.1: let one
      // client hold the whole default budget, four uploads of MAX_UPLOAD_BYTES
      // (client-budget.e2e-spec.ts tests each client's share).
      MAX_INFLIGHT_UPLOAD_BYTES_PER_CLIENT: String(4 * 10 * MB),
    });
    port = Number(new URL(service.base).port);
  });

  after(async () => {
    service?.kill('SIGKILL');
    await service?.exited;
  });

  const compare = async (): Promise<number> => {
    const body = new FormData();
    body.append('image1', new Blob([fixture('person-a-1.jpg')]), 'a1.jpg');
    body.append('image2', new Blob([fixture('person-a-2.jpg')]), 'a2.jpg');
    return (await fetch(`${service.base}/verify`, { method: 'POST', body })).status;
  };

  it(`should bound the memory of ${STALLED_UPLOADS} uploads of 2 x 9 MB that stall, cut them after the idle timeout, and serve others meanwhile`, async (t) => {
    const pid = service.child.pid!;
    const baseline = rssOf(pid);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 50);
    const { body, contentType } = multipart([
      { name: 'image1', filename: 'one.jpg', content: randomBytes(FILE_BYTES) },
      { name: 'image2', filename: 'two.jpg', content: randomBytes(FILE_BYTES) },
    ]);
    const head = postHead('/verify', contentType, body.length);
    const clients: RawClient[] = [];
    let stalledAt = 0;
    try {
      for (let index = 0; index < STALLED_UPLOADS; index++) clients.push(await rawClient(port));
      // Everything but the closing boundary, then nothing more.
      await Promise.all(
        clients.map(async (client) => {
          await client.send(head);
          await client.send(body.subarray(0, body.length - 100));
        }),
      );
      stalledAt = performance.now();
      await sleep(500);
      // While they stall: requests without a body, and a small upload, are answered.
      const health = await fetch(`${service.base}/health/live`);
      assert.equal(health.status, 200);
      assert.equal((await fetch(`${service.base}/list_references`)).status, 200);
      assert.equal(await compare(), 200, 'a small upload fits beside the stalled ones');

      const closedAfter = await Promise.race([
        Promise.all(clients.map((client) => client.closed)),
        sleep(IDLE_TIMEOUT_MS + 6000).then(() => null),
      ]);
      const statuses = clients.map((client) => client.status());
      const stalledMs = Math.round(performance.now() - stalledAt);
      const figure =
        `RSS under ${STALLED_UPLOADS} stalled uploads of 2 x ${FILE_BYTES / 1e6} MB: ` +
        `${Math.round(baseline / MB)} MB before, peak ${Math.round(peak / MB)} MB ` +
        `(+${Math.round((peak - baseline) / MB)} MB); answers ${statuses.join(',')}; ` +
        `all closed by the server: ${closedAfter ? `yes, within ${stalledMs} ms of the stall` : 'no'}`;
      t.diagnostic(figure);
      console.log(figure);
      assert.ok(closedAfter, `the stalled connections are still open: ${figure}`);
      // The default MAX_INFLIGHT_UPLOAD_BYTES, four uploads of MAX_UPLOAD_BYTES, admits two such
      // bodies; each is held once while it arrives, plus the copy of its first file: about 60 MB.
      // The refused ones are read and dropped, and what was dropped stays until V8 collects it,
      // which adds to the peak but does not grow with the number of clients (docs/operations.md).
      // Holding the refused bodies would take 250 MB more.
      assert.ok(peak - baseline < 150 * MB, figure);
      const refused = statuses.filter((status) => status === 503).length;
      const cut = statuses.filter((status) => status === 408).length;
      assert.equal(refused + cut, STALLED_UPLOADS, figure);
      assert.ok(refused >= STALLED_UPLOADS - 2, figure);
      const busy = clients.find((client) => client.status() === 503)!;
      assert.match(busy.received(), /\r\nRetry-After: 5\r\n/i);
      assert.match(busy.received(), /\{"detail":"Server busy: too many uploads are arriving/);
    } finally {
      clearInterval(sampler);
      for (const client of clients) client.socket.destroy();
    }
    // Once they are gone, uploads of any size are admitted again.
    assert.equal(await compare(), 200);
  });

  it("should answer 503 to a refused upload whose client reads only once its body is sent, and to Node's fetch", async () => {
    const { body, contentType } = multipart([
      { name: 'image1', filename: 'one.jpg', content: randomBytes(FILE_BYTES) },
      { name: 'image2', filename: 'two.jpg', content: randomBytes(FILE_BYTES) },
    ]);
    const head = postHead('/verify', contentType, body.length);
    // Two uploads that arrive slowly take the whole budget...
    const holders = [await rawClient(port), await rawClient(port)];
    for (const holder of holders) {
      await holder.send(head);
      await holder.send(body.subarray(0, 1000));
    }
    await sleep(200);
    // ...so this one is refused from its Content-Length. It reads nothing until it has sent its
    // whole body.
    const late = await rawClient(port);
    late.socket.pause();
    try {
      await late.send(head);
      assert.equal(await late.send(body), true, 'the refused body was read, not reset');
      late.socket.resume();
      assert.notEqual(await late.closedWithin(IDLE_MS_LINGER_BOUND), null, 'closed by the server');
      assert.equal(late.status(), 503, late.received().slice(0, 300));
      assert.match(late.received(), /\{"detail":"Server busy: too many uploads are arriving/);
      // Node's fetch gives up on its request when a write fails, answer or not.
      const form = new FormData();
      form.append('image1', new Blob([randomBytes(FILE_BYTES)]), 'one.jpg');
      form.append('image2', new Blob([randomBytes(FILE_BYTES)]), 'two.jpg');
      const response = await fetch(`${service.base}/verify`, { method: 'POST', body: form });
      assert.equal(response.status, 503);
    } finally {
      for (const client of [...holders, late]) client.socket.destroy();
    }
  });

  it('should let a slow client that keeps sending finish, and cut one past the request timeout', async () => {
    const { body, contentType } = multipart([
      { name: 'image1', filename: 'a1.jpg', content: fixture('person-a-1.jpg') },
      { name: 'image2', filename: 'a2.jpg', content: fixture('person-a-2.jpg') },
    ]);
    const head = postHead('/verify', contentType, body.length);
    // Pauses shorter than the idle timeout, 1.5 times as long in all.
    const steady = await rawClient(port);
    await steady.send(head);
    const pieces = Math.ceil((1.5 * IDLE_TIMEOUT_MS) / (IDLE_TIMEOUT_MS / 3));
    // Over the request timeout in all, though it never pauses for long.
    const endless = await rawClient(port);
    await endless.send(head);
    const endlessSent = trickle(endless, body, 100, IDLE_TIMEOUT_MS / 3);
    await trickle(steady, body, pieces, IDLE_TIMEOUT_MS / 3);
    await steady.closedWithin(10_000);
    assert.equal(steady.status(), 200, steady.received().slice(0, 300));

    const closedAfter = await endless.closedWithin(REQUEST_TIMEOUT_MS + 5000);
    endless.socket.destroy();
    await endlessSent;
    assert.equal(endless.status(), 408, endless.received().slice(0, 300));
    assert.ok(
      closedAfter !== null && closedAfter < REQUEST_TIMEOUT_MS + 2500,
      `closed after ${closedAfter ?? 'never'} ms`,
    );
  });

  it('should cut a client that never finishes its headers', async () => {
    const client = await rawClient(port);
    await client.send('POST /verify HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/');
    const closedAfter = await client.closedWithin(HEADERS_TIMEOUT_MS + 5000);
    client.socket.destroy();
    assert.equal(client.status(), 408, client.received().slice(0, 300));
    assert.ok(
      closedAfter !== null && closedAfter < HEADERS_TIMEOUT_MS + 2500,
      `closed after ${closedAfter ?? 'never'} ms`,
    );
  });
});
