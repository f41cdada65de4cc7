import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createConnection } from 'mysql2/promise';
import { fixture } from './support/app.js';
import { createTestDatabase } from './support/database.js';
import { startServiceProcess, type ServiceProcess } from './support/service-process.js';

const API_KEY = `audit-key-${randomBytes(12).toString('hex')}`;
const WRONG_KEY = `wrong-key-${randomBytes(12).toString('hex')}`;
const ENCRYPTION_KEY = randomBytes(32);
const DB_PASSWORD = `pw-${randomBytes(12).toString('base64url')}`;
/** A person's name: personal data, in request paths but never in the log. */
const SUBJECT = `Audit Person ${randomBytes(6).toString('hex')}`;

/** What must never appear in the service's output, with a name for the failure message. */
function secrets(image: Buffer): [string, string][] {
  const found: [string, string][] = [
    ['an API key', API_KEY],
    ['a refused API key', WRONG_KEY],
    ['the encryption key (base64)', ENCRYPTION_KEY.toString('base64')],
    ['the encryption key (hex)', ENCRYPTION_KEY.toString('hex')],
    ['the database password', DB_PASSWORD],
    ["a person's name (subject)", SUBJECT],
    ["a person's name as in a URL", encodeURIComponent(SUBJECT)],
  ];
  // Base64 of any part of the image that covers byte 1000 matches one of three alignments.
  for (const offset of [0, 1, 2]) {
    const chunk = image.subarray(1000 + offset, 1048 + offset);
    found.push([`image bytes as base64 (alignment ${offset})`, chunk.toString('base64')]);
  }
  found.push(['image bytes as hex', image.subarray(1000, 1032).toString('hex')]);
  found.push(['the image header as hex', image.subarray(0, 16).toString('hex')]);
  return found;
}

/** Shapes of leaked data, whatever its source. */
const LEAK_SHAPES: [string, RegExp][] = [
  ['a long base64 run', /[A-Za-z0-9+/]{120,}={0,2}/],
  ['a long hex run', /[0-9a-fA-F]{96,}/],
  ['a Node Buffer dump', /<Buffer( [0-9a-f]{2}){4}|"type":\s*"Buffer"/],
  ['a byte array', /\[\s*(\d{1,3}\s*,\s*){16}/],
  ['a run of embedding numbers', /(-?\d*\.\d{3,}(e-?\d+)?\s*,\s*){8}/],
  ['a typed array', /Float32Array/],
];

describe('what the service logs', () => {
  it("should never print keys (scoped ones too), the database password, image bytes, embeddings or a person's name, even at verbose", async (t) => {
    const database = await createTestDatabase();
    const url = new URL(database.url);
    const admin = await createConnection({ uri: database.url });
    const user = `fg_audit_${randomBytes(4).toString('hex')}`;
    let service: ServiceProcess | undefined;
    try {
      for (const host of ['localhost', '127.0.0.1']) {
        await admin.query(`CREATE USER '${user}'@'${host}' IDENTIFIED BY '${DB_PASSWORD}'`);
        await admin.query(
          `GRANT ALL PRIVILEGES ON \`${url.pathname.slice(1)}\`.* TO '${user}'@'${host}'`,
        );
      }
      url.username = user;
      url.password = DB_PASSWORD;
      service = await startServiceProcess({
        DATABASE_URL: url.toString(),
        API_KEYS: API_KEY,
        ENCRYPTION_KEY: ENCRYPTION_KEY.toString('base64'),
        FACE_WORKERS: '1',
        LOG_LEVEL: 'verbose',
      });
      const { child, exited, base } = service;
      const call = async (path: string, init: RequestInit = {}, key: string | null = API_KEY) => {
        const headers = new Headers(init.headers);
        if (key) headers.set('X-API-Key', key);
        const response = await fetch(`${base}${path}`, { ...init, headers });
        return { status: response.status, body: await response.text() };
      };
      const form = (fields: Record<string, Buffer | string>) => {
        const body = new FormData();
        for (const [name, value] of Object.entries(fields)) {
          if (typeof value === 'string') body.append(name, value);
          else body.append(name, new Blob([value]), `${name}.jpg`);
        }
        return { method: 'POST', body };
      };
      const image = fixture('person-a-1.jpg');
      const statuses: number[] = [];
      const expect = async (status: number, answer: Promise<{ status: number; body: string }>) => {
        const { status: got, body } = await answer;
        assert.equal(got, status, body);
        statuses.push(got);
        return body;
      };
      await expect(401, call('/list_references', {}, null));
      await expect(401, call('/list_references', {}, WRONG_KEY));
      await expect(
        401,
        call('/list_references', { headers: { Authorization: `Bearer ${WRONG_KEY}` } }, null),
      );
      const uploaded = await expect(200, call('/upload_reference', form({ image })));
      const key = (JSON.parse(uploaded) as { key: string }).key;
      await expect(
        200,
        call(
          '/compare_with_reference',
          {
            ...form({ image: fixture('person-a-2.jpg'), reference_key: key }),
            headers: { Authorization: `Bearer ${API_KEY}` },
          },
          null,
        ),
      );
      await expect(
        400,
        call(
          '/compare_with_reference',
          form({ image: fixture('no-face.png'), reference_key: key }),
        ),
      );
      await expect(400, call('/upload_reference', form({ image: Buffer.from('not an image') })));
      await expect(400, call('/upload_reference', form({ image: fixture('group-6-faces.jpg') })));
      await expect(
        200,
        call('/verify', form({ image1: image, image2: fixture('person-b-1.jpg') })),
      );
      await expect(200, call(`/references/${key}/image`));
      await expect(404, call('/references/0123456789abcdef0123456789abcdef/image'));
      // An altered envelope: a 500, whose log keeps a stack.
      await admin.query(
        `UPDATE reference_images SET bytes = CONCAT(LEFT(bytes, 60), REVERSE(SUBSTRING(bytes, 61)))`,
      );
      await expect(500, call(`/references/${key}/image`));
      await expect(200, call(`/delete_reference/${key}`, { method: 'DELETE' }));
      // A person, by name in the path: read, given metadata, refused bad metadata, erased.
      await expect(200, call('/upload_reference', form({ image, subject: SUBJECT })));
      const person = `/subjects/${encodeURIComponent(SUBJECT)}`;
      const json = (body: unknown) => ({
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      await expect(200, call(person));
      await expect(200, call(person, json({ metadata: { badge: 7 } })));
      await expect(400, call(person, json({ metadata: { team: { a: 1 } } })));
      await expect(400, call(person, { ...json({}), body: '{"metadata": ' }));
      await expect(200, call(person, { method: 'DELETE' }));
      await expect(404, call(person));
      // A scoped key: made, used, refused a scope, revoked, refused.
      const made = await expect(
        201,
        call('/keys', {
          ...json({ name: 'log audit', collection: 'default', scopes: ['read'] }),
          method: 'POST',
        }),
      );
      const scoped = JSON.parse(made) as { id: string; secret: string };
      await expect(200, call('/list_references', {}, scoped.secret));
      await expect(403, call(`/references/${key}/image`, {}, scoped.secret));
      await expect(200, call('/keys'));
      await expect(200, call(`/keys/${scoped.id}`, { method: 'DELETE' }));
      await expect(401, call('/list_references', {}, scoped.secret));

      child.kill('SIGTERM');
      const output = service.output();
      assert.equal(await exited, 0, output);
      // The audit would pass on silence: make sure the service did log these requests' outcomes.
      assert.match(output, /listening on/);
      // The line may be JSON (pino), where the quotes around the detail are escaped.
      assert.match(output, /-> 500: \\?"Stored image failed its integrity check\\?"/);
      assert.match(output, /Encryption at rest on/);
      assert.match(output, /\/subjects\/\[redacted\]/);

      for (const [what, value] of [
        ...secrets(image),
        ['a scoped key', scoped.secret] as [string, string],
      ]) {
        assert.ok(!output.includes(value), `the output contains ${what}`);
      }
      for (const [what, shape] of LEAK_SHAPES) {
        const match = shape.exec(output);
        assert.equal(match, null, `the output contains ${what}: ${match?.[0].slice(0, 80)}`);
      }
      t.diagnostic(
        `log audit: ${statuses.length} requests (${statuses.join(' ')}), ` +
          `${output.split('\n').length} lines of output checked`,
      );
    } finally {
      service?.child.kill('SIGKILL');
      for (const host of ['localhost', '127.0.0.1']) {
        await admin.query(`DROP USER IF EXISTS '${user}'@'${host}'`);
      }
      await admin.end();
      await database.drop();
    }
  });
});
