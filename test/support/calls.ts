import request from 'supertest';
import type { App } from 'supertest/types.js';
import { fixture } from './app.js';

/** POST /upload_reference with a fixture photo, sent under `as` (its own name by default). */
export function upload(
  server: App,
  name: string,
  { as = name, subject }: { as?: string; subject?: string } = {},
): request.Test {
  const call = request(server).post('/upload_reference').attach('image', fixture(name), as);
  return subject === undefined ? call : call.field('subject', subject);
}

/** Enrols a fixture photo, expecting 200; its key. */
export async function enrol(server: App, name: string): Promise<string> {
  return ((await upload(server, name).expect(200)).body as { key: string }).key;
}

/** POST /compare_with_reference with a fixture photo against `key`. */
export function compare(server: App, name: string, key: string, as = name): request.Test {
  return request(server)
    .post('/compare_with_reference')
    .attach('image', fixture(name), as)
    .field('reference_key', key);
}

/** POST /identify with a fixture photo and form fields. */
export function identify(
  server: App,
  name: string,
  fields: Record<string, string> = {},
): request.Test {
  let call = request(server).post('/identify').attach('image', fixture(name), name);
  for (const [field, value] of Object.entries(fields)) call = call.field(field, value);
  return call;
}

/** The people of the identification gallery, one crop of each in test/fixtures (crop-NAME-1.png). */
export const GALLERY = [
  'amy',
  'bernadette',
  'howard',
  'leonard',
  'penny',
  'raj',
  'sheldon',
  'stuart',
];

/**
 * Enrols one photo of each of GALLERY under their name, then two without a subject
 * (person-a-1.jpg, person-b-1.jpg); each person's key.
 */
export async function enrolGallery(server: App): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for (const person of GALLERY) {
    const body: unknown = (
      await upload(server, `crop-${person}-1.png`, { subject: person }).expect(200)
    ).body;
    keys.set(person, (body as { key: string }).key);
  }
  await upload(server, 'person-a-1.jpg').expect(200);
  await upload(server, 'person-b-1.jpg').expect(200);
  return keys;
}
