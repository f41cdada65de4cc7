import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A client on a bare socket, to send requests as slowly, partly or oddly as a test needs. */
export interface RawClient {
  socket: Socket;
  /** Writes and resolves once the bytes are handed to the kernel (false if the socket is gone). */
  send(bytes: Buffer | string): Promise<boolean>;
  /** Everything the server sent so far. */
  received(): string;
  /** The status code of the first response, once its status line has arrived. */
  status(): number | undefined;
  /** Resolves with the milliseconds from connecting to the server closing the connection. */
  closed: Promise<number>;
  /** Resolves once the server has closed its side: everything it sent has arrived. */
  ended: Promise<void>;
  /** `closed`, or null when the connection is still open after `ms`. */
  closedWithin(ms: number): Promise<number | null>;
}

/**
 * Connects to `port`. With `allowHalfOpen` the client keeps its side open when the server closes
 * its own, as a client still sending its body does; else it closes in turn, as Node's sockets do.
 * `localAddress` (another loopback address, such as 127.0.0.2) makes it a different client.
 */
export async function rawClient(
  port: number,
  { allowHalfOpen = false, localAddress }: { allowHalfOpen?: boolean; localAddress?: string } = {},
): Promise<RawClient> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen, localAddress });
  const started = performance.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  // The server may close while the client still writes: EPIPE or ECONNRESET, expected here.
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve(performance.now() - started)),
  );
  const ended = new Promise<void>((resolve) => socket.once('end', resolve));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    send: (bytes) =>
      new Promise((resolve) => {
        if (socket.destroyed || !socket.writable) return resolve(false);
        socket.write(bytes, (error) => resolve(!error));
      }),
    received: () => received,
    status: () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      return match ? Number(match[1]) : undefined;
    },
    closed,
    ended,
    closedWithin: (ms) => Promise.race([closed, sleep(ms).then(() => null)]),
  };
}

export interface FormPart {
  name: string;
  filename?: string;
  content: Buffer | string;
}

/** A multipart/form-data body and the Content-Type header that goes with it. */
export function multipart(parts: FormPart[]): { body: Buffer; contentType: string } {
  const boundary = `----facegate${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = part.filename
      ? `form-data; name="${part.name}"; filename="${part.filename}"`
      : `form-data; name="${part.name}"`;
    const type = part.filename ? 'Content-Type: application/octet-stream\r\n' : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`));
    chunks.push(Buffer.from(part.content));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The head of a POST whose body has `length` bytes, or is chunked when `length` is null. */
export function postHead(path: string, contentType: string, length: number | null): string {
  const framing = length === null ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`;
  return `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${contentType}\r\n${framing}\r\n\r\n`;
}

/** One chunk of a chunked body (an empty one ends it). */
export function chunk(bytes: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`${bytes.length.toString(16)}\r\n`),
    bytes,
    Buffer.from('\r\n'),
  ]);
}

/** Sends `bytes` in `pieces` writes, `pauseMs` apart: a slow client that keeps sending. */
export async function trickle(
  client: RawClient,
  bytes: Buffer,
  pieces: number,
  pauseMs: number,
): Promise<void> {
  const size = Math.ceil(bytes.length / pieces);
  for (let offset = 0; offset < bytes.length; offset += size) {
    if (offset > 0) await sleep(pauseMs);
    if (!(await client.send(bytes.subarray(offset, offset + size)))) return;
  }
}
