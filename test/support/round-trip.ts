import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { fixture } from './app.js';

const KEY = /^[0-9a-f]{32}$/;

/** POST /upload_reference with a fixture photo, expecting 200; the new reference's key. */
export async function enrolFixture(server: App, name: string): Promise<string> {
  const response = await request(server)
    .post('/upload_reference')
    .attach('image', fixture(name), name)
    .expect(200);
  return (response.body as { key: string }).key;
}

/** GET /references/{key}/image with the body kept as bytes. */
export function downloadImage(server: App, key: string) {
  return downloadBytes(server, `/references/${key}/image`);
}

/** GET `path` with the body kept as bytes (supertest parses only text and JSON by itself). */
export function downloadBytes(server: App, path: string) {
  return request(server)
    .get(path)
    .buffer(true)
    .parse((response, done) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => done(null, Buffer.concat(chunks)));
    });
}

/**
 * The client session an old client runs: upload, list, compare the same person and a different
 * one, delete, compare again. Shared by the MariaDB and the embedded SQLite specs.
 */
export async function runRoundTrip(app: INestApplication): Promise<void> {
  const server = app.getHttpServer() as App;

  const upload = await request(server)
    .post('/upload_reference')
    .attach('image', fixture('person-a-1.jpg'), 'person-a-1.jpg')
    .expect(200);
  const key = (upload.body as { key: string }).key;
  assert.match(key, KEY);
  assert.deepEqual(upload.body, {
    success: true,
    message: `Reference embedding saved with key: ${key}`,
    key,
  });

  const image = await downloadImage(server, key).expect(200).expect('Content-Type', 'image/jpeg');
  assert.ok(Buffer.compare(image.body as Buffer, fixture('person-a-1.jpg')) === 0, 'byte-equal');

  const listed = await request(server).get('/list_references').expect(200);
  assert.deepEqual(listed.body, { count: 1, references: [{ key, filename: 'person-a-1.jpg' }] });

  const same = await request(server)
    .post('/compare_with_reference')
    .attach('image', fixture('person-a-2.jpg'), 'person-a-2.jpg')
    .field('reference_key', key)
    .expect(200);
  const sameResult = (
    same.body as { result: { verified: boolean; distance: number; threshold: number } }
  ).result;
  assert.equal((same.body as { reference_key: string }).reference_key, key);
  assert.equal(sameResult.verified, true, `same person at distance ${sameResult.distance}`);
  assert.ok(sameResult.distance <= sameResult.threshold);

  const other = await request(server)
    .post('/compare_with_reference')
    .attach('image', fixture('person-b-1.jpg'), 'person-b-1.jpg')
    .field('reference_key', key)
    .expect(200);
  const otherResult = (
    other.body as { result: { verified: boolean; distance: number; threshold: number } }
  ).result;
  assert.equal(otherResult.verified, false, `different person at distance ${otherResult.distance}`);
  assert.ok(otherResult.distance > otherResult.threshold);

  await request(server)
    .delete(`/delete_reference/${key}`)
    .expect(200, {
      success: true,
      message: `Reference embedding with key '${key}' has been deleted`,
    });

  await request(server)
    .post('/compare_with_reference')
    .attach('image', fixture('person-a-2.jpg'), 'person-a-2.jpg')
    .field('reference_key', key)
    .expect(404, { detail: `No reference image found with key: ${key}` });

  await request(server)
    .get(`/references/${key}`)
    .expect(404, { detail: `No reference embedding found with key: ${key}` });
  await request(server).get(`/references/${key}/image`).expect(404);
  await request(server).get('/list_references').expect(200, { count: 0, references: [] });
}
