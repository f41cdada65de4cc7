import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { FaceAnalyser } from '../src/face-engine/face-analyser.js';
import { MetricsService } from '../src/metrics/metrics.service.js';
import { fixture } from './support/app.js';
import { startAppBehindProxy, type AppBehindProxy, type TcpProxy } from './support/tcp-proxy.js';
import { startServiceProcess } from './support/service-process.js';
import { TEST_FACE_BACKEND } from './support/test-backend.js';

const API_KEY = 'observability-key-0123456789';
const OTHER_API_KEY = 'observability-bearer-0123456789';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[name] = value;
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(([label, value]) => sample.labels[label] === value),
  );
  assert.equal(found.length, 1, `one sample ${name} ${JSON.stringify(labels)}`);
  return found[0].value;
}

describe('request ids and /metrics', () => {
  let proxy: TcpProxy;
  let server: App;
  let app: INestApplication;
  let service: AppBehindProxy;

  before(async () => {
    service = await startAppBehindProxy({ API_KEYS: API_KEY, FACE_WORKERS: '1' });
    ({ app, server, proxy } = service);
  });

  after(async () => {
    await service?.close();
  });

  const scrape = async (): Promise<{ text: string; samples: Sample[] }> => {
    const response = await request(server).get('/metrics').expect(200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return { text: response.text, samples: parseMetrics(response.text) };
  };

  it('should echo a sane X-Request-Id and generate a UUID when there is none', async () => {
    const echoed = await request(server)
      .get('/health/live')
      .set('X-Request-Id', 'client-id-42')
      .expect(200);
    assert.equal(echoed.headers['x-request-id'], 'client-id-42');

    const generated = await request(server).get('/health/live').expect(200);
    assert.match(String(generated.headers['x-request-id']), UUID);
    const another = await request(server).get('/health/live').expect(200);
    assert.notEqual(another.headers['x-request-id'], generated.headers['x-request-id']);
  });

  it('should replace an X-Request-Id that is too long or has odd characters', async () => {
    for (const sent of ['x'.repeat(129), 'two words', 'quote"d', '<script>', 'a\\b']) {
      const response = await request(server)
        .get('/health/live')
        .set('X-Request-Id', sent)
        .expect(200);
      assert.match(String(response.headers['x-request-id']), UUID, sent);
    }
  });

  it('should return X-Request-Id on errors: 401, 404 and 422', async () => {
    const unauthorised = await request(server).get('/list_references').expect(401);
    assert.match(String(unauthorised.headers['x-request-id']), UUID);
    const notFound = await request(server)
      .get('/no/such/route')
      .set('X-API-Key', API_KEY)
      .set('X-Request-Id', 'req-404')
      .expect(404, { detail: 'Not Found' });
    assert.equal(notFound.headers['x-request-id'], 'req-404');
    const missingField = await request(server)
      .post('/compare_with_reference')
      .set('X-API-Key', API_KEY)
      .set('X-Request-Id', 'req-422')
      .attach('image', fixture('person-a-2.jpg'), 'a.jpg')
      .expect(422);
    assert.equal(missingField.headers['x-request-id'], 'req-422');
  });

  it('should serve /metrics without an API key, and keep it out of the OpenAPI document', async () => {
    await request(server).get('/metrics').expect(200);
    const spec = await request(server).get('/docs-json').expect(200);
    assert.equal((spec.body as { paths: Record<string, unknown> }).paths['/metrics'], undefined);
  });

  it('should count requests by route template and status, time inference by stage and count references', async () => {
    const before = (await scrape()).samples;
    const withKey = (test: request.Test) => test.set('X-API-Key', API_KEY);
    const upload = async (name: string) =>
      (
        (
          await withKey(request(server).post('/upload_reference'))
            .attach('image', fixture(name), name)
            .expect(200)
        ).body as { key: string }
      ).key;
    const keyA = await upload('person-a-1.jpg');
    const keyB = await upload('person-b-1.jpg');
    await withKey(request(server).post('/compare_with_reference'))
      .attach('image', fixture('person-a-2.jpg'), 'a2.jpg')
      .field('reference_key', keyA)
      .expect(200);
    const unknownKey = 'f'.repeat(32);
    await withKey(request(server).post('/compare_with_reference'))
      .attach('image', fixture('person-a-2.jpg'), 'a2.jpg')
      .field('reference_key', unknownKey)
      .expect(404);
    await withKey(request(server).post('/compare_with_reference'))
      .attach('image', fixture('person-a-2.jpg'), 'a2.jpg')
      .expect(422);
    await withKey(request(server).delete(`/delete_reference/${keyB}`)).expect(200);
    await withKey(request(server).get(`/no/such/route/${keyA}`)).expect(404);
    const listed = await withKey(request(server).get('/list_references')).expect(200);

    const { text, samples } = await scrape();
    /** How much a counter grew during this test (absent before: 0). */
    const grew = (name: string, labels: Record<string, string>) => {
      const earlier = before.some(
        (sample) =>
          sample.name === name &&
          Object.entries(labels).every(([label, value]) => sample.labels[label] === value),
      )
        ? valueOf(before, name, labels)
        : 0;
      return valueOf(samples, name, labels) - earlier;
    };
    const requests = (method: string, route: string, status: string) =>
      grew('http_requests_total', { method, route, status });
    assert.equal(requests('POST', '/upload_reference', '200'), 2);
    assert.equal(requests('POST', '/compare_with_reference', '200'), 1);
    assert.equal(requests('POST', '/compare_with_reference', '404'), 1);
    assert.equal(requests('POST', '/compare_with_reference', '422'), 1);
    assert.equal(requests('DELETE', '/delete_reference/{key}', '200'), 1);
    assert.equal(requests('GET', 'unmatched', '404'), 1);
    const uploadTimings = { method: 'POST', route: '/upload_reference', status: '200' };
    assert.equal(grew('http_request_duration_seconds_count', uploadTimings), 2);
    assert.ok(grew('http_request_duration_seconds_sum', uploadTimings) > 0);
    for (const key of [keyA, keyB, unknownKey]) {
      assert.ok(!text.includes(key), `the key ${key} appears in /metrics`);
    }
    for (const sample of samples.filter((s) => s.name === 'http_requests_total')) {
      assert.match(sample.labels.route, /^(\/[\w{}/-]*|unmatched)$/);
    }

    // The stages are whatever the engine reports; every analysis adds one to each of them. Three
    // analyses at least: two uploads and a compare (the other compares may stop before one).
    const stages = samples
      .filter((sample) => sample.name === 'face_inference_duration_seconds_count')
      .map((sample) => sample.labels.stage);
    assert.ok(stages.includes('total') && stages.length >= 3, stages.join());
    const analyses = grew('face_inference_duration_seconds_count', { stage: 'total' });
    assert.ok(analyses >= 3, String(analyses));
    for (const stage of stages) {
      assert.equal(grew('face_inference_duration_seconds_count', { stage }), analyses, stage);
      assert.ok(valueOf(samples, 'face_inference_duration_seconds_sum', { stage }) > 0, stage);
    }

    assert.equal(valueOf(samples, 'face_references'), (listed.body as { count: number }).count);
    assert.equal(valueOf(samples, 'face_references'), 1);
    assert.equal(valueOf(samples, 'face_engine_queue_length'), 0);
    assert.equal(valueOf(samples, 'face_engine_in_flight'), 0);
    assert.ok(valueOf(samples, 'process_cpu_seconds_total') > 0);
    assert.ok(valueOf(samples, 'process_resident_memory_bytes') > 0);
  });

  it('should report analyses waiting for the worker and the one running', async () => {
    const engine = app.get(FaceAnalyser);
    const registry = app.get(MetricsService).registry;
    const gauge = async (name: string) =>
      (await registry.getSingleMetric(name)?.get())?.values[0]?.value;
    const image = fixture('person-a-1.jpg');
    // One worker: the first analysis runs, the other two wait. Nothing can finish before the
    // gauges are read: results arrive as worker messages, after these microtasks.
    const selection = { kind: 'largest', max: 10 } as const;
    const analyses = [1, 2, 3].map(() => engine.analyze(image, selection));
    const [queued, running] = [
      await gauge('face_engine_queue_length'),
      await gauge('face_engine_in_flight'),
    ];
    await Promise.all(analyses);
    assert.equal(queued, 2);
    assert.equal(running, 1);
    assert.equal(await gauge('face_engine_queue_length'), 0);
    assert.equal(await gauge('face_engine_in_flight'), 0);
  });

  it('should still answer a scrape while the database is down, with the count as NaN', async () => {
    await proxy.cut();
    try {
      const { samples } = await scrape();
      assert.ok(Number.isNaN(valueOf(samples, 'face_references')));
      assert.ok(valueOf(samples, 'process_cpu_seconds_total') > 0);
    } finally {
      await proxy.restore();
    }
    // The connection pool reconnects by itself; the count comes back.
    let count = Number.NaN;
    for (let attempt = 0; attempt < 30 && Number.isNaN(count); attempt++) {
      count = valueOf((await scrape()).samples, 'face_references');
      if (Number.isNaN(count)) await sleep(1000);
    }
    assert.equal(count, 1);
  });
});

/** Every field the request line may have: nothing from headers, no body. */
const REQUEST_LINE_FIELDS = new Set([
  'level',
  'time',
  'pid',
  'hostname',
  'reqId',
  'method',
  'path',
  'route',
  'status',
  'durationMs',
  'requestBytes',
  'responseBytes',
  'remoteAddress',
  'msg',
]);

describe('logs of the running service', () => {
  it('should write JSON lines with the request id and never an API key', async () => {
    const service = await startServiceProcess({
      FACE_WORKERS: '1',
      LOG_LEVEL: 'debug',
      API_KEYS: `${API_KEY},${OTHER_API_KEY}`,
    });
    let generatedId = '';
    try {
      const base = service.base;
      const listed = await fetch(`${base}/list_references`, {
        headers: { 'X-API-Key': API_KEY, 'X-Request-Id': 'log-test-list' },
      });
      assert.equal(listed.status, 200);
      const bearer = await fetch(`${base}/list_references`, {
        headers: { Authorization: `Bearer ${OTHER_API_KEY}` },
      });
      assert.equal(bearer.status, 200);
      generatedId = bearer.headers.get('x-request-id') ?? '';
      assert.match(generatedId, UUID);
      const form = new FormData();
      form.append('image', new Blob([fixture('person-a-1.jpg')]), 'a.jpg');
      const uploaded = await fetch(`${base}/upload_reference`, {
        method: 'POST',
        body: form,
        headers: { 'X-API-Key': API_KEY, 'X-Request-Id': 'log-test-upload' },
      });
      assert.equal(uploaded.status, 200);
      const incomplete = new FormData();
      incomplete.append('image', new Blob([fixture('person-a-2.jpg')]), 'a.jpg');
      const missingField = await fetch(`${base}/compare_with_reference`, {
        method: 'POST',
        body: incomplete,
        headers: { 'X-API-Key': API_KEY, 'X-Request-Id': 'log-test-422' },
      });
      assert.equal(missingField.status, 422);

      const stylesheet = await fetch(`${base}/docs/swagger-ui.css`, {
        headers: { 'X-Request-Id': 'log-test-static' },
      });
      assert.equal(stylesheet.status, 200);
      service.kill('SIGTERM');
      assert.equal(await service.exited, 0, service.stdout() + service.stderr());
    } finally {
      service.kill('SIGKILL');
    }
    const stdout = service.stdout();
    const stderr = service.stderr();

    // Not a terminal: every line is JSON, the start-up messages included.
    const lines = stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(
      lines.some((line) => line.context === 'Bootstrap' && /listening on/.test(String(line.msg))),
    );
    assert.ok(
      lines.some((line) =>
        String(line.msg).startsWith(`Face engine ready: backend=${TEST_FACE_BACKEND}`),
      ),
    );

    const requestLine = (reqId: string) => {
      const found = lines.filter(
        (line) => line.reqId === reqId && line.msg === 'request completed',
      );
      assert.equal(found.length, 1, `one request line for ${reqId}`);
      for (const field of Object.keys(found[0])) {
        assert.ok(REQUEST_LINE_FIELDS.has(field), `unexpected field ${field} in the request line`);
      }
      return found[0];
    };
    const list = requestLine('log-test-list');
    assert.equal(list.method, 'GET');
    assert.equal(list.path, '/list_references');
    assert.equal(list.route, '/list_references');
    assert.equal(list.status, 200);
    assert.equal(typeof list.durationMs, 'number');
    assert.equal(list.remoteAddress, '127.0.0.1');
    assert.equal(requestLine(generatedId).status, 200);
    const upload = requestLine('log-test-upload');
    assert.equal(upload.status, 200);
    assert.ok(Number(upload.requestBytes) > fixture('person-a-1.jpg').length);
    assert.equal(requestLine('log-test-422').status, 422);
    // A file Swagger UI serves: its own path, though the static middleware rewrites req.url.
    const staticFile = requestLine('log-test-static');
    assert.equal(staticFile.path, '/docs/swagger-ui.css');
    assert.equal(staticFile.route, 'unmatched');
    // The error filter's line about the 422 carries the id of its request too.
    assert.ok(
      lines.some((line) => line.reqId === 'log-test-422' && line.context === 'HttpErrorFilter'),
    );

    for (const secret of [API_KEY, OTHER_API_KEY]) {
      assert.ok(!stdout.includes(secret) && !stderr.includes(secret), 'an API key was logged');
    }
    assert.ok(!/authorization|x-api-key/i.test(stdout), 'a credential header was logged');
  });
});
