import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { postHead, rawClient } from '../../test/support/raw-http.js';
import { validateEnvironment } from '../config/environment.js';
import { applyServerTimeouts, lingerOnEarlyClose } from './slow-clients.js';
import { TIMED_OUT, within } from './within.js';

describe('server timeouts', () => {
  it('should refuse a headers timeout longer than the request timeout', () => {
    assert.throws(
      () => validateEnvironment({ HTTP_HEADERS_TIMEOUT_MS: '200000' }),
      /HTTP_HEADERS_TIMEOUT_MS="200000": must not be more than HTTP_REQUEST_TIMEOUT_MS/,
    );
    const env = validateEnvironment({
      HTTP_HEADERS_TIMEOUT_MS: '200000',
      HTTP_REQUEST_TIMEOUT_MS: '300000',
    });
    assert.equal(env.HTTP_HEADERS_TIMEOUT_MS, 200_000);
  });

  it("should set Node's limits, and check them every second at most", () => {
    const server = createServer();
    applyServerTimeouts(server, { HTTP_HEADERS_TIMEOUT_MS: 3000, HTTP_REQUEST_TIMEOUT_MS: 9000 });
    assert.equal(server.headersTimeout, 3000);
    assert.equal(server.requestTimeout, 9000);
    assert.equal(
      (server as typeof server & { connectionsCheckingInterval: number })
        .connectionsCheckingInterval,
      1000,
    );
  });
});

describe('closing a connection answered before its body arrived', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((server) => server.listening && server.close()));

  const IDLE_MS = 300;

  /** A server with lingering closes; `closed` resolves when it closes its first connection. */
  async function serve(
    handler: RequestListener,
    linger = { idleMs: IDLE_MS, maxMs: 10_000 },
  ): Promise<{ server: Server; port: number; closed: Promise<number> }> {
    const server = createServer(handler);
    lingerOnEarlyClose(server, linger);
    servers.push(server);
    // A client that ends mid-body closes with a parse error: 'close' still comes.
    const closed = once(server, 'connection').then(
      ([socket]: Socket[]) =>
        new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now()))),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { server, port: (server.address() as AddressInfo).port, closed };
  }

  /** A client that keeps its side open when the server closes its own. */
  const halfOpenClient = (port: number) => rawClient(port, { allowHalfOpen: true });

  const head = (length: number) => postHead('/upload', 'application/octet-stream', length);

  const refuse: RequestListener = (_request, response) => {
    response.writeHead(503, { Connection: 'close', 'Content-Length': 4 });
    response.end('busy');
  };

  it('should let a client that sends its whole body before reading get the answer', async () => {
    const { port, closed } = await serve(refuse);
    const body = Buffer.alloc(8_000_000, 1);
    const client = await halfOpenClient(port);
    // The whole body goes out first, the answer is read after.
    client.socket.pause();
    assert.equal(await client.send(head(body.length)), true);
    assert.equal(await client.send(body), true, 'the server read the body to its end');
    const sentAt = performance.now();
    client.socket.resume();
    const closedAt = await closed;
    await client.ended;
    assert.match(client.received(), /^HTTP\/1\.1 503 [\s\S]*\r\n\r\nbusy$/);
    // Nothing more arrives: the server closes after the idle time, not at once, not never.
    assert.ok(closedAt - sentAt >= IDLE_MS - 50, `closed ${closedAt - sentAt} ms after`);
    assert.ok(closedAt - sentAt < IDLE_MS + 1500, `closed ${closedAt - sentAt} ms after`);
  });

  /** A connection refused before its body, lingering for a minute once it has its answer. */
  async function lingeringConnection() {
    const { server, port, closed } = await serve(refuse, { idleMs: 60_000, maxMs: 60_000 });
    const client = await halfOpenClient(port);
    await client.send(head(1_000_000));
    while (!client.received().endsWith('busy')) await sleep(10);
    return { server, socket: client.socket, closed };
  }

  it('should close at once when the client closes its side', async () => {
    const { socket, closed } = await lingeringConnection();
    const endedAt = performance.now();
    socket.end();
    assert.ok((await closed) - endedAt < 1000);
  });

  it('should close a client that keeps sending after the longest linger', async () => {
    const { port, closed } = await serve(refuse, { idleMs: IDLE_MS, maxMs: 1000 });
    const client = await halfOpenClient(port);
    const startedAt = performance.now();
    await client.send(head(100_000_000));
    let open = true;
    void closed.then(() => (open = false));
    while (open && performance.now() - startedAt < 5000) {
      await client.send(Buffer.alloc(1000));
      await sleep(IDLE_MS / 3);
    }
    const lingered = (await closed) - startedAt;
    assert.ok(lingered >= 950 && lingered < 2500, `closed after ${lingered} ms`);
  });

  it('should close lingering connections at once when the server closes', async () => {
    const { server, closed } = await lingeringConnection();
    const serverClosed = new Promise<number>((resolve) =>
      server.close(() => resolve(performance.now())),
    );
    // Without the fix both wait for the linger, a minute: give up after a second.
    assert.notEqual(await within(closed, 1000), TIMED_OUT, 'the connection is still open');
    assert.notEqual(await within(serverClosed, 1000), TIMED_OUT, 'the server is still open');
  });

  it("should not run the request's own idle timeout while it lingers", async () => {
    let timedOut = false;
    const { port, closed } = await serve((request, response) => {
      request.setTimeout(IDLE_MS / 2, () => (timedOut = true));
      refuse(request, response);
    });
    const client = await halfOpenClient(port);
    await client.send(head(1_000_000));
    await closed;
    assert.equal(timedOut, false, 'the request timed out after its answer');
  });

  it('should close as Node does when the request was read to its end', async () => {
    const { port, closed } = await serve((request, response) => {
      request.resume();
      request.on('end', () => refuse(request, response));
    });
    const client = await halfOpenClient(port);
    await client.send(head(1000));
    const sentAt = performance.now();
    await client.send(Buffer.alloc(1000));
    const closedAt = await closed;
    await client.ended;
    assert.match(client.received(), /busy$/);
    assert.ok(closedAt - sentAt < IDLE_MS, `closed ${closedAt - sentAt} ms after`);
  });
});
