import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { buildOpenApiDocument } from '../src/app.setup.js';
import { fixture, startApp } from './support/app.js';
import { pngDeclaring } from './support/png.js';

const INVALID_IMAGE = { detail: 'Invalid image file' };

/** A JPEG whose frame header (SOF0) claims `width` x `height`. */
function jpegDeclaring(width: number, height: number): Buffer {
  const jpeg = Buffer.from(fixture('person-a-1.jpg'));
  for (let index = 2; index < jpeg.length - 9; index++) {
    if (jpeg[index] === 0xff && (jpeg[index + 1] === 0xc0 || jpeg[index + 1] === 0xc2)) {
      jpeg.writeUInt16BE(height, index + 5);
      jpeg.writeUInt16BE(width, index + 7);
      return jpeg;
    }
  }
  throw new Error('no SOF marker in the fixture');
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('hostile input', () => {
  let app: INestApplication;
  let server: App;
  let key: string;

  const upload = (bytes: Buffer, name: string) =>
    request(server).post('/upload_reference').attach('image', bytes, name);

  before(async () => {
    app = await startApp();
    server = app.getHttpServer() as App;
    key = ((await upload(fixture('crop-penny-1.png'), 'p.png').expect(200)).body as { key: string })
      .key;
  });

  after(async () => {
    await app?.close();
  });

  const notImages: [string, Buffer][] = [
    ['text', Buffer.from('just some text, not a photo\n')],
    [
      'a GIF',
      Buffer.from('474946383961010001008000000000000000002c00000000010001000002024401003b', 'hex'),
    ],
    ['a PDF', Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n')],
    ['random bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))],
    ['zero bytes', Buffer.alloc(0)],
    ['a truncated JPEG', fixture('person-a-2.jpg').subarray(0, 20_000)],
    ['a PNG signature and nothing else', Buffer.from('89504e470d0a1a0a', 'hex')],
  ];
  for (const [what, bytes] of notImages) {
    it(`should answer 400 Invalid image file for ${what} named .jpg`, async () => {
      await upload(bytes, 'photo.jpg').expect(400, INVALID_IMAGE);
      await request(server)
        .post('/compare_with_reference')
        .attach('image', bytes, 'photo.png')
        .field('reference_key', key)
        .expect(400, INVALID_IMAGE);
    });
  }

  for (const [what, bytes, name] of [
    ['PNG', pngDeclaring(50_000, 50_000), 'bomb.png'],
    ['JPEG', jpegDeclaring(50_000, 50_000), 'bomb.jpg'],
  ] as const) {
    it(`should refuse a ${what} declaring 50,000 x 50,000 from its header, in well under a second`, async () => {
      const started = performance.now();
      const response = await upload(bytes, name).expect(400);
      assert.match((response.body as { detail: string }).detail, /^Image too large/);
      assert.ok(performance.now() - started < 1000, `${performance.now() - started} ms`);
    });
  }

  // A small face in a large photo is embedded from a decode of the region around it: the same
  // pixels as in the photo of the face alone, whether the large photo is a PNG (never decoded
  // whole) or a JPEG stored sideways that its EXIF tag turns upright.
  it('should embed a small face in a 36 MP photo as it embeds the face alone, PNG or EXIF-turned JPEG', async () => {
    // 990 x 1536: the face spans about 90 px of the detector's copy of a 6000 px photo.
    const face = await sharp(fixture('person-a-1.jpg')).resize({ width: 990 }).png().toBuffer();
    const canvas = (width: number, height: number) =>
      sharp({ create: { width, height, channels: 3, background: '#ffffff' } });
    const png = await canvas(6000, 6000)
      .composite([{ input: face, left: 4100, top: 4400 }])
      .png()
      .toBuffer();
    // Stored a quarter turn anticlockwise; orientation 6 turns it clockwise, upright.
    const sideways = await sharp(face).rotate(-90).toBuffer();
    const jpeg = await canvas(6000, 4000)
      .composite([{ input: sideways, left: 4300, top: 700 }])
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const alone = ((await upload(face, 'alone.png').expect(200)).body as { key: string }).key;
    for (const [bytes, name, left, top] of [
      [png, 'large.png', 4100, 4400],
      // Upright, the face's left edge is where the stored one's bottom edge was.
      [jpeg, 'large.jpg', 4000 - 700 - 990, 4300],
    ] as const) {
      const enrolled = (await upload(bytes, name).expect(200)).body as { key: string };
      const stored = await request(server).get(`/references/${enrolled.key}`).expect(200);
      const { x, y, w, h } = (
        stored.body as { face_box: { x: number; y: number; w: number; h: number } }
      ).face_box;
      assert.ok(x >= left && x + w <= left + 990 && y >= top && y + h <= top + 1536, name);
      const compared = await request(server)
        .post('/compare_with_reference')
        .attach('image', bytes, name)
        .field('reference_key', alone)
        .expect(200);
      const { verified, distance } = (
        compared.body as { result: { verified: boolean; distance: number } }
      ).result;
      assert.ok(verified && distance < 0.01, `${name}: distance ${distance}`);
    }
  });

  it('should answer 400 or 404 for odd keys, never 500', async () => {
    const cases: [string, number][] = [
      ['a'.repeat(5000), 404],
      ['..%2F..%2Fetc%2Fpasswd', 400],
      ["1'%20OR%20'1'%3D'1", 400],
      ['%00', 400],
      ['%E2%80%AE', 400],
      [key.toUpperCase(), 404],
    ];
    for (const [path, status] of cases) {
      await request(server).delete(`/delete_reference/${path}`).expect(status);
    }
    await request(server)
      .post('/compare_with_reference')
      .attach('image', fixture('crop-penny-2.png'), 'p.png')
      .field('reference_key', 'b'.repeat(5000))
      .expect(404);
  });

  it('should answer malformed forms with a 4xx and a clear detail', async () => {
    const image = fixture('person-a-1.jpg');
    const expectations: [request.Test, number, RegExp][] = [
      [upload(image, 'a.jpg').attach('image', image, 'b.jpg'), 400, /Unexpected file field/],
      [
        request(server).post('/upload_reference').attach('photo', image, 'a.jpg'),
        400,
        /Unexpected file field/,
      ],
      [
        request(server)
          .post('/compare_with_reference')
          .attach('image', image, 'a.jpg')
          .field('reference_key', key)
          .field('reference_key', key),
        400,
        /./,
      ],
      [request(server).post('/compare_with_reference').send({ reference_key: key }), 422, /./],
      [
        request(server)
          .post('/upload_reference')
          .set('Content-Type', 'multipart/form-data; boundary=nothing-like-this')
          .send(image.toString('latin1')),
        400,
        /Multipart/,
      ],
      [
        request(server)
          .post('/upload_reference')
          .set('Content-Type', 'multipart/form-data')
          .send('x'),
        400,
        /Boundary not found/,
      ],
      [
        request(server)
          .post('/compare_with_reference')
          .attach('image', image, 'a.jpg')
          .field('reference_key', 'k'.repeat(100_000)),
        400,
        /Field value too long/,
      ],
    ];
    for (const [pending, status, detail] of expectations) {
      const response = await pending;
      assert.equal(response.status, status, JSON.stringify(response.body));
      const body = response.body as { detail: unknown };
      assert.match(JSON.stringify(body.detail), detail);
    }
    // Extra text fields are ignored, as FastAPI does.
    await upload(fixture('crop-penny-2.png'), 'p2.png').field('note', 'hello').expect(200);
  });

  it('should refuse a filename with control or format characters, also in filename*=', async () => {
    const boundary = 'hostile-filename-boundary';
    const post = (path: string, disposition: string) => {
      const fields =
        path === '/compare_with_reference'
          ? `--${boundary}\r\nContent-Disposition: form-data; name="reference_key"\r\n\r\n${key}\r\n`
          : '';
      return request(server)
        .post(path)
        .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
        .send(
          Buffer.concat([
            Buffer.from(
              `${fields}--${boundary}\r\nContent-Disposition: form-data; name="image"; ` +
                `${disposition}\r\nContent-Type: image/png\r\n\r\n`,
              'latin1',
            ),
            fixture('crop-penny-2.png'),
            Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'),
          ]),
        );
    };
    const listed = async () =>
      ((await request(server).get('/list_references').expect(200)).body as { count: number }).count;
    const before = await listed();
    for (const path of ['/upload_reference', '/compare_with_reference']) {
      // Raw control bytes in a part's header: the multipart parser refuses the header itself.
      for (const disposition of ['filename="red\x1b[31m.png"', 'filename="bell\x07.png"']) {
        await post(path, disposition).expect(400, { detail: 'Multipart: Malformed part header' });
      }
      // Percent-encoded (RFC 5987) they reach the form as characters.
      for (const disposition of [
        "filename*=UTF-8''escape%1B%5B2J.png",
        "filename*=UTF-8''nul%00.png",
        "filename*=UTF-8''bell%07.png",
        // A right-to-left override, which shows "photo\u202Egnp.exe" as "photoexe.png".
        "filename*=UTF-8''photo%E2%80%AEgnp.png",
      ]) {
        const response = await post(path, disposition);
        assert.equal(
          response.status,
          400,
          `${path} ${disposition}: ${JSON.stringify(response.body)}`,
        );
        assert.deepEqual(response.body, {
          detail: 'Filename must be printable text without control or format characters',
        });
      }
    }
    assert.equal(await listed(), before, 'nothing stored');
    // Names in any script still go through, as subjects do.
    const uploaded = await post('/upload_reference', "filename*=UTF-8''Zo%C3%AB%20%E6%9D%8E.png");
    assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
    await request(server)
      .delete(`/delete_reference/${(uploaded.body as { key: string }).key}`)
      .expect(200);
  });

  it('should answer 400 naming an unknown, repeated or bracketed query parameter', async () => {
    const detail = async (query: string): Promise<string> => {
      const response = await request(server).get(`/list_references?${query}`);
      assert.equal(response.status, 400, `${query}: ${JSON.stringify(response.body)}`);
      return (response.body as { detail: string }).detail;
    };
    assert.match(await detail('Subject=amy'), /^Unknown query parameter 'Subject'/);
    assert.match(await detail('subject%5B%5D=amy'), /^Unknown query parameter 'subject\[\]'/);
    assert.match(await detail('subject[a]=amy'), /^Unknown query parameter 'subject\[a\]'/);
    assert.match(await detail('limit=5&lmit=2'), /^Unknown query parameter 'lmit'/);
    for (const query of ['subject=amy&subject=bob', 'limit=1&limit=2']) {
      assert.match(
        await detail(query),
        new RegExp(`^Query parameter '${query.split('=')[0]}' must be given once`),
      );
    }
    await request(server).get('/list_references?limit=5&offset=0&subject=amy').expect(200);
  });

  it('should refuse unknown query parameters on every route that takes a query', async () => {
    const document = buildOpenApiDocument(app);
    const routes = Object.entries(document.paths).filter(([, item]) =>
      item.get?.parameters?.some((parameter) => 'in' in parameter && parameter.in === 'query'),
    );
    assert.ok(routes.length > 0, 'no route takes a query');
    for (const [path] of routes) {
      const response = await request(server).get(`${path}?no_such_parameter=1`);
      assert.equal(response.status, 400, `${path}: ${JSON.stringify(response.body)}`);
      assert.match((response.body as { detail: string }).detail, /'no_such_parameter'/, path);
    }
  });

  it('should survive a fuzz pass: every answer a documented 4xx or a 200, the process up', async (t) => {
    const seeds = [fixture('crop-penny-1.png'), fixture('person-a-1.jpg'), fixture('orl-s1-1.png')];
    const next = random(20261127);
    // The suite runs a 15-second pass (about 600 cases on a quiet 2-core machine, every kind of
    // case many times over); FUZZ_SECONDS and FUZZ_CASES allow a longer one.
    const maxCases = Number(process.env.FUZZ_CASES ?? 3000);
    const seconds = Number(process.env.FUZZ_SECONDS ?? 15);
    const started = performance.now();
    const deadline = started + seconds * 1000;
    const statuses = new Map<number, number>();
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;

    const makeCase = (): { bytes: Buffer; name: string } => {
      const kind = next();
      const seed = seeds[Math.floor(next() * seeds.length)];
      const name = next() < 0.5 ? 'fuzz.jpg' : 'fuzz.png';
      if (kind < 0.15) {
        return {
          bytes: Buffer.from(
            Array.from({ length: Math.floor(next() * 2048) }, () => Math.floor(next() * 256)),
          ),
          name,
        };
      }
      if (kind < 0.3) return { bytes: seed.subarray(0, Math.floor(next() * seed.length)), name };
      const bytes = Buffer.from(seed);
      // Mostly the headers and the first scan: where decoders go wrong.
      const flips = 1 + Math.floor(next() * 8);
      for (let flip = 0; flip < flips; flip++) {
        const at = Math.floor(next() * Math.min(bytes.length, kind < 0.9 ? 1024 : bytes.length));
        bytes[at] = Math.floor(next() * 256);
      }
      return { bytes, name };
    };

    let cases = 0;
    // At least 200 cases even on a busy machine (for at most 4 minutes).
    const going = () =>
      cases < maxCases &&
      (performance.now() < deadline || (cases < 200 && performance.now() < started + 240_000));
    const worker = async () => {
      while (going()) {
        cases++;
        const { bytes, name } = makeCase();
        const body = new FormData();
        body.append('image', new Blob([bytes]), name);
        const compare = next() < 0.5;
        if (compare) body.append('reference_key', key);
        const response = await fetch(
          `${base}/${compare ? 'compare_with_reference' : 'upload_reference'}`,
          {
            method: 'POST',
            body,
          },
        );
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    };
    await Promise.all([worker(), worker()]);
    const summary = [...statuses].map(([status, count]) => `${status}: ${count}`).join(', ');
    t.diagnostic(
      `fuzz: ${cases} cases in ${Math.round(performance.now() - started)} ms; ${summary}`,
    );
    assert.ok(cases >= 200, `only ${cases} cases ran`);
    for (const status of statuses.keys())
      assert.ok([200, 400].includes(status), `status ${status}: ${summary}`);
    await request(server).get('/health/live').expect(200);
    await request(server)
      .post('/compare_with_reference')
      .attach('image', fixture('crop-penny-2.png'), 'p.png')
      .field('reference_key', key)
      .expect(200);
  });
});
