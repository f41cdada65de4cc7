import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fixture, startApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

describe('uploads, compares, lists and deletes at the same time', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let base: string;

  before(async () => {
    database = await createTestDatabase();
    app = await startApp({ DATABASE_URL: database.url });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
  });

  after(async () => {
    await app?.close();
    await database?.drop();
  });

  it('should lose nothing and answer no 500 while clients race on the same keys', async (t) => {
    const photos = ['person-a-1.jpg', 'person-a-2.jpg', 'person-b-1.jpg'].map((name) => ({
      name,
      bytes: fixture(name),
    }));
    const uploaded: string[] = [];
    const deleted = new Set<string>();
    const statuses = new Map<string, number>();
    const count = (what: string) => statuses.set(what, (statuses.get(what) ?? 0) + 1);
    let step = 0;
    // Recent keys, so that compares and deletes of the same key race each other.
    const pick = (): string | undefined =>
      uploaded[uploaded.length - 1 - (step % 3)] ?? uploaded[0];

    const form = (photo: { name: string; bytes: Buffer }, key?: string) => {
      const body = new FormData();
      body.append('image', new Blob([photo.bytes]), photo.name);
      if (key) body.append('reference_key', key);
      return body;
    };

    // 20 s of racing, longer (up to 2 min) on a busy machine until every operation has succeeded
    // at least once, so that the checks below always have something to check.
    const started = performance.now();
    const enough = () =>
      performance.now() - started > 20_000 &&
      ['upload 200', 'compare 200', 'delete 200'].every((what) => statuses.has(what));
    const running = () => !enough() && performance.now() - started < 120_000;
    const client = async (id: number) => {
      for (let turn = id; running(); turn++) {
        step++;
        // Upload, compare, list, delete in turn, each client starting at another point.
        const op = uploaded.length === 0 ? 0 : turn % 4;
        const photo = photos[step % photos.length];
        if (op === 0) {
          const response = await fetch(`${base}/upload_reference`, {
            method: 'POST',
            body: form(photo),
          });
          const body = (await response.json()) as { key?: string };
          count(`upload ${response.status}`);
          if (response.status === 200 && body.key) uploaded.push(body.key);
        } else if (op === 1) {
          const key = pick();
          if (!key) continue;
          const response = await fetch(`${base}/compare_with_reference`, {
            method: 'POST',
            body: form(photo, key),
          });
          await response.arrayBuffer();
          count(`compare ${response.status}`);
        } else if (op === 2) {
          const response = await fetch(`${base}/list_references`);
          await response.arrayBuffer();
          count(`list ${response.status}`);
        } else {
          const key = pick();
          if (!key) continue;
          const response = await fetch(`${base}/delete_reference/${key}`, { method: 'DELETE' });
          await response.arrayBuffer();
          count(`delete ${response.status}`);
          if (response.status === 200) {
            assert.ok(!deleted.has(key), `${key} deleted twice with 200`);
            deleted.add(key);
          }
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(client));

    const summary = [...statuses].map(([what, n]) => `${what}: ${n}`).join(', ');
    t.diagnostic(`concurrency: ${summary}`);
    const allowed = new Set([
      'upload 200',
      'compare 200',
      'compare 404',
      'list 200',
      'delete 200',
      'delete 404',
    ]);
    for (const what of statuses.keys())
      assert.ok(allowed.has(what), `unexpected ${what}: ${summary}`);
    assert.ok(uploaded.length > 0 && deleted.size > 0, summary);
    assert.ok((statuses.get('compare 200') ?? 0) > 0, summary);

    const listed = (await (await fetch(`${base}/list_references`)).json()) as {
      count: number;
      references: { key: string }[];
    };
    const expected = uploaded.filter((key) => !deleted.has(key)).sort();
    assert.equal(listed.count, expected.length);
    assert.deepEqual(listed.references.map((item) => item.key).sort(), expected);
    for (const key of expected.slice(0, 3)) {
      const response = await fetch(`${base}/compare_with_reference`, {
        method: 'POST',
        body: form(photos[0], key),
      });
      assert.equal(response.status, 200);
    }
    for (const key of [...deleted].slice(0, 3)) {
      const response = await fetch(`${base}/compare_with_reference`, {
        method: 'POST',
        body: form(photos[0], key),
      });
      assert.equal(response.status, 404);
    }
  });
});
