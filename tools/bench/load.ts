import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { basename, extname } from 'node:path';
import { percentile } from './statistics.js';

export interface Photo {
  path: string;
  bytes: Buffer;
}

/** One autocannon request, prepared once: its multipart body is built before the clock starts. */
export type PreparedRequest = autocannon.Request;

/** A multipart/form-data body with the photo as `image` and any text fields before it. */
export function multipartRequest(
  path: string,
  photo: Photo,
  fields: Record<string, string> = {},
): PreparedRequest {
  const boundary = `----facegate-bench-${randomBytes(8).toString('hex')}`;
  const type = extname(photo.path).toLowerCase() === '.png' ? 'image/png' : 'image/jpeg';
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      ),
    );
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="image"; ` +
        `filename="${basename(photo.path)}"\r\nContent-Type: ${type}\r\n\r\n`,
    ),
    photo.bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return {
    method: 'POST',
    path,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: Buffer.concat(parts),
  };
}

/** How long a load runs: a duration in seconds, or a number of requests. */
export type Budget = { seconds: number } | { requests: number };

export interface LoadResult {
  /** Responses received. */
  requests: number;
  /** Responses per second of wall time. */
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Connection errors, timeouts included. */
  errors: number;
  non2xx: number;
  statuses: Record<string, number>;
}

/**
 * Drives `requests` (each connection cycles through them in order) at `connections` concurrent
 * connections; latencies are every response's own time, so the percentiles are exact.
 */
export async function drive(
  url: string,
  requests: PreparedRequest[],
  connections: number,
  budget: Budget,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        // autocannon refuses more connections than requests.
        connections: 'requests' in budget ? Math.min(connections, budget.requests) : connections,
        pipelining: 1,
        timeout: 120,
        ...('seconds' in budget ? { duration: budget.seconds } : { amount: budget.requests }),
        requests,
      },
      (error, finished) => (error ? reject(error as Error) : resolve(finished)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    });
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: latencies.length,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
    errors: result.errors,
    non2xx: result.non2xx,
    statuses,
  };
}

/**
 * One request on a connection of its own. The bench's one-off requests are minutes apart, and a
 * kept-alive socket the server is just closing made `fetch` fail now and then.
 */
export function send(
  url: string,
  request: PreparedRequest,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      `${url}${request.path ?? '/'}`,
      { method: request.method ?? 'GET', headers: request.headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }),
        );
        response.once('error', reject);
      },
    );
    outgoing.once('error', reject);
    outgoing.end(request.body);
  });
}
