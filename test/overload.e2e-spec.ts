import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import type { Piscina } from 'piscina';
import { FaceAnalyser } from '../src/face-engine/face-analyser.js';
import { fixture, startApp } from './support/app.js';
import { enrolFixture } from './support/round-trip.js';

/** Concurrent compares sent at once: far more than one worker and a queue of one can take. */
const FLOOD = 24;

/** Enrols `reference`, then listens on a local port for clients other than supertest. */
async function enrolAndListen(
  app: INestApplication,
  reference: string,
): Promise<{ port: number; key: string }> {
  const key = await enrolFixture(app.getHttpServer() as App, reference);
  await app.listen(0, '127.0.0.1');
  return { port: ((app.getHttpServer() as Server).address() as AddressInfo).port, key };
}

/** `count` compares of `photo` with `key`, sent at once over real sockets. */
function compareAtOnce(
  port: number,
  key: string,
  photo: Buffer,
  count: number,
): Promise<{ status: number; retryAfter: string | null; detail?: string; ms: number }[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const started = performance.now();
      const body = new FormData();
      body.append('image', new Blob([photo]), 'photo.jpg');
      body.append('reference_key', key);
      const response = await fetch(`http://127.0.0.1:${port}/compare_with_reference`, {
        method: 'POST',
        body,
      });
      const { detail } = (await response.json()) as { detail?: string };
      return {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        detail,
        ms: performance.now() - started,
      };
    }),
  );
}

describe('under more load than the workers can take', () => {
  it('should queue up to FACE_QUEUE_LIMIT, answer 503 with Retry-After beyond it, and recover', async (t) => {
    const app = await startApp({ FACE_WORKERS: '1', FACE_QUEUE_LIMIT: '1' });
    try {
      const server = app.getHttpServer() as App;
      const { port, key } = await enrolAndListen(app, 'crop-penny-1.png');
      // Six faces to embed make each of these compares last well over a second on one worker;
      // sent at once over real sockets, all six reach the engine while the first still runs.
      const group = fixture('group-6-faces.jpg');
      // Worker threads share the process, so this RSS covers the HTTP thread and the pool.
      const baseline = process.memoryUsage.rss();
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage.rss());
      }, 10);
      const responses = await compareAtOnce(port, key, group, FLOOD);
      clearInterval(sampler);
      const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
      const figure = `peak RSS under a flood of ${FLOOD} compares: ${mb(peak)} MB (${mb(baseline)} MB before)`;
      t.diagnostic(figure);
      // Generous: the engine holds at most FACE_WORKERS + FACE_QUEUE_LIMIT images at once, so
      // growth is bounded by a few decoded photos plus the bodies in flight, far below this.
      assert.ok(peak - baseline < 600 * 2 ** 20, figure);
      assert.ok(peak < 2 * 2 ** 30, figure);
      const statuses = responses.map((response) => response.status).sort();
      assert.ok(statuses.includes(200), `statuses ${statuses.join(',')}`);
      const busy = responses.filter((response) => response.status === 503);
      assert.ok(busy.length >= 1, `statuses ${statuses.join(',')}`);
      assert.deepEqual(
        statuses.filter((status) => status !== 200 && status !== 503),
        [],
        'only 200 or 503',
      );
      for (const response of busy) {
        assert.equal(response.retryAfter, '5');
        assert.match(response.detail ?? '', /^Server busy/);
      }
      // Once the queue drains, the service answers normally again.
      await request(server)
        .post('/compare_with_reference')
        .attach('image', fixture('crop-penny-2.png'), 'penny2.png')
        .field('reference_key', key)
        .expect(200);
    } finally {
      await app.close();
    }
  });
});

/** `grid` x `grid` copies of the six-face group in one photo. */
async function crowdOf(grid: number): Promise<Buffer> {
  const group = fixture('group-6-faces.jpg');
  const { width, height } = await sharp(group).metadata();
  const cells = Array.from({ length: grid }, (_, index) => index);
  const copies = cells.flatMap((row) =>
    cells.map((column) => ({ input: group, left: column * width, top: row * height })),
  );
  return sharp({
    create: { width: width * grid, height: height * grid, channels: 3, background: '#000' },
  })
    .composite(copies)
    .jpeg()
    .toBuffer();
}

const uploadOnce = (server: App) =>
  request(server).post('/upload_reference').attach('image', fixture('person-a-1.jpg'), 'a.jpg');

const isTimeout = (status: number, body: unknown) =>
  status === 503 && /did not finish within/.test((body as { detail?: string }).detail ?? '');

describe('an analysis that runs too long', () => {
  // On each backend, a crowd of 16 six-face groups whose every face is embedded (identification's
  // cap lifted to 100) takes about three times the timeout on one worker here (wasm 4.5 to 5.5 s,
  // onnx 1.3 s), and one photo a third of it (wasm 0.4 s, onnx 0.15 s).
  for (const { backend, timeoutMs } of [
    { backend: 'wasm', timeoutMs: 1500 },
    { backend: 'onnx', timeoutMs: 500 },
  ]) {
    it(`should answer 503 after INFERENCE_TIMEOUT_MS, stop the analysis at its next net and keep the worker (${backend})`, async () => {
      const app = await startApp({
        FACE_BACKEND: backend,
        FACE_WORKERS: '1',
        INFERENCE_TIMEOUT_MS: String(timeoutMs),
        MAX_FACES_PER_IDENTIFY: '100',
      });
      try {
        const server = app.getHttpServer() as App;
        const engine = app.get(FaceAnalyser);
        const threads = () => (engine as unknown as { pool: Piscina }).pool.threads;
        const [worker] = threads();
        const crowd = await crowdOf(4);
        const started = performance.now();
        const slow = await request(server)
          .post('/identify')
          .attach('image', crowd, 'crowd.jpg')
          .expect(503);
        const answeredMs = performance.now() - started;
        assert.match(
          (slow.body as { detail: string }).detail,
          new RegExp(`did not finish within ${timeoutMs} ms`),
        );
        assert.equal(slow.headers['retry-after'], '5');
        assert.ok(answeredMs < timeoutMs + 2500, `answered after ${Math.round(answeredMs)} ms`);
        // One photo takes a third of the timeout on a quiet machine; on a busy one (CI beside
        // other work) it may run out too, and is then cancelled the same way: a few tries.
        let next = await uploadOnce(server);
        for (let tries = 1; tries < 3 && isTimeout(next.status, next.body); tries++) {
          next = await uploadOnce(server);
        }
        assert.equal(next.status, 200, JSON.stringify(next.body));
        // Cancelled between two nets, not terminated: the same thread served the next upload.
        assert.deepEqual(threads(), [worker]);
      } finally {
        await app.close();
      }
    });
  }
});

describe('time spent waiting for a worker', () => {
  it('should not count toward INFERENCE_TIMEOUT_MS: a request that waited runs to its answer', async () => {
    // Fourteen analyses of 250 to 600 ms each on one worker: the last waits 3 to 8 s, more than
    // the timeout, then runs for a fraction of it.
    // On wasm, whose analyses are long enough to build a queue worth measuring.
    const app = await startApp({
      FACE_BACKEND: 'wasm',
      FACE_WORKERS: '1',
      INFERENCE_TIMEOUT_MS: '2500',
    });
    try {
      const { port, key } = await enrolAndListen(app, 'person-a-1.jpg');
      const answers = await compareAtOnce(port, key, fixture('person-a-2.jpg'), 14);
      const slowest = Math.max(...answers.map(({ ms }) => ms));
      assert.ok(slowest > 2500, `the queue was not long enough to test anything (${slowest} ms)`);
      assert.deepEqual(
        answers.filter(({ status }) => status !== 200),
        [],
        'every compare answered 200',
      );
    } finally {
      await app.close();
    }
  });

  it('should be bounded by FACE_QUEUE_TIMEOUT_MS: 503 with Retry-After once the wait is over', async () => {
    const app = await startApp({
      FACE_WORKERS: '1',
      FACE_QUEUE_TIMEOUT_MS: '500',
      INFERENCE_TIMEOUT_MS: '30000',
    });
    try {
      const { port, key } = await enrolAndListen(app, 'person-a-1.jpg');
      const answers = await compareAtOnce(port, key, fixture('person-a-2.jpg'), 10);
      const waitedTooLong = answers.filter(({ status }) => status === 503);
      assert.ok(
        answers.some(({ status }) => status === 200),
        JSON.stringify(answers),
      );
      assert.ok(waitedTooLong.length >= 1, JSON.stringify(answers));
      for (const answer of waitedTooLong) {
        assert.equal(answer.retryAfter, '5');
        assert.match(answer.detail ?? '', /^Server busy: no worker was free within 500 ms/);
        // Answered when the wait ended, not after the analyses ahead of it.
        assert.ok(answer.ms < 2000, `answered after ${Math.round(answer.ms)} ms`);
      }
    } finally {
      await app.close();
    }
  });
});
