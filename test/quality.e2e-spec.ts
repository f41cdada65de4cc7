import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { DataSource } from 'typeorm';
import { fixture, startApp } from './support/app.js';
import { downloadImage } from './support/round-trip.js';

interface Verification {
  verified: boolean;
  distance: number;
  threshold: number;
  facial_areas: { img2: { x: number; y: number; w: number; h: number } };
}

describe('recognition on the photos people upload', () => {
  let app: INestApplication;
  let server: App;
  const references = new Map<string, string>();

  const upload = (bytes: Buffer, name: string) =>
    request(server).post('/upload_reference').attach('image', bytes, name);
  const enrol = async (name: string): Promise<string> => {
    const known = references.get(name);
    if (known) return known;
    const response = await upload(fixture(name), name);
    assert.equal(response.status, 200, `${name}: ${JSON.stringify(response.body)}`);
    const key = (response.body as { key: string }).key;
    references.set(name, key);
    return key;
  };
  const compare = async (bytes: Buffer, name: string, key: string): Promise<Verification> => {
    const response = await request(server)
      .post('/compare_with_reference')
      .attach('image', bytes, name)
      .field('reference_key', key);
    assert.equal(response.status, 200, `${name}: ${JSON.stringify(response.body)}`);
    return (response.body as { result: Verification }).result;
  };

  before(async () => {
    app = await startApp();
    server = app.getHttpServer() as App;
  });

  after(async () => {
    await app?.close();
  });

  for (const name of ['person-a-1-exif6.jpg', 'person-a-1-exif3.jpg']) {
    it(`should embed the EXIF-rotated ${name} as the upright photo (distance < 0.01)`, async () => {
      const key = await enrol('person-a-1.jpg');
      const result = await compare(fixture(name), name, key);
      assert.ok(result.distance < 0.01, `distance ${result.distance}`);
      assert.equal(result.verified, true);
    });
  }

  // Upright pixels under a wrong EXIF tag: after the tag the face lies upside down or on its side,
  // where the detector scores it weakly (B, F) or confidently in a box wider than tall (A). The
  // service finds it upright in a quarter turn, embeds it there, and reports its box and roll in
  // the photo as the client sees it.
  const turnedByTag = [
    {
      name: 'person-b-1-upside-down.jpg',
      upright: 'person-b-1.jpg',
      partner: 'person-b-2.jpg',
      roll: 180,
    },
    {
      name: 'person-f-1-sideways.jpg',
      upright: 'person-f-1.jpg',
      partner: 'person-f-2.jpg',
      roll: -90,
    },
    {
      name: 'person-a-1-sideways.jpg',
      upright: 'person-a-1.jpg',
      partner: 'person-a-2.jpg',
      roll: 90,
    },
  ];
  for (const { name, upright, partner, roll } of turnedByTag) {
    it(`should find the face of ${name} upright, and report it where the client sees it`, async () => {
      const key = await enrol(name);
      const result = await compare(fixture(partner), partner, key);
      assert.equal(result.verified, true, `distance ${result.distance}`);
      const straight = await compare(fixture(partner), partner, await enrol(upright));
      assert.ok(
        Math.abs(result.distance - straight.distance) < 0.01,
        `distance ${result.distance}, upright ${straight.distance}`,
      );

      const described = async (reference: string) =>
        (await request(server).get(`/references/${reference}`).expect(200)).body as {
          face_box: { x: number; y: number; w: number; h: number };
          face_quality: { roll: number };
        };
      const turned = await described(key);
      const expected = await described(await enrol(upright));
      // The upright photo's box, carried into the tagged photo's orientation.
      const { width, height } = await sharp(fixture(upright)).metadata();
      const { x, y, w, h } = expected.face_box;
      const box =
        roll === 180
          ? { x: width - x - w, y: height - y - h, w, h }
          : roll === 90
            ? { x: height - y - h, y: x, w: h, h: w }
            : { x: y, y: width - x - w, w: h, h: w };
      for (const side of ['x', 'y', 'w', 'h'] as const) {
        assert.ok(
          Math.abs(turned.face_box[side] - box[side]) <= 8,
          `box ${JSON.stringify(turned.face_box)}, expected ${JSON.stringify(box)}`,
        );
      }
      const turn = turned.face_quality.roll - expected.face_quality.roll;
      const off = Math.abs(((((turn - roll) % 360) + 540) % 360) - 180);
      assert.ok(off < 5, `roll ${turned.face_quality.roll}, upright ${expected.face_quality.roll}`);
    });
  }

  for (const name of [
    'person-a-1-grey.jpg',
    'person-a-1-cmyk.jpg',
    'person-a-1-16bit.png',
    'person-a-1-alpha.png',
  ]) {
    it(`should enrol and verify ${name} like any other photo`, async () => {
      await enrol(name);
      const result = await compare(fixture(name), name, await enrol('person-a-1.jpg'));
      assert.equal(result.verified, true, `distance ${result.distance}`);
    });
  }

  it('should take the first frame of an animated PNG, and keep its bytes as they came', async () => {
    // Its second frame is blank: a decoder that used any other frame would find no face.
    const name = 'person-a-1-animated.png';
    const key = await enrol(name);
    const result = await compare(fixture(name), name, await enrol('person-a-1.jpg'));
    assert.equal(result.verified, true, `distance ${result.distance}`);
    const stored = await downloadImage(server, key).expect(200);
    assert.equal(stored.headers['content-type'], 'image/png');
    assert.ok((stored.body as Buffer).equals(fixture(name)), 'the animation is stored whole');
  });

  for (const name of ['crop-amy-1.png', 'crop-sheldon-3.png', 'crop-penny-1.png', 'orl-s1-1.png']) {
    it(`should find the face in the tight crop ${name}`, async () => {
      await enrol(name);
    });
  }

  it('should verify tight crops of the same person and tell different people apart', async () => {
    const penny = await enrol('crop-penny-1.png');
    assert.equal((await compare(fixture('crop-penny-2.png'), 'p.png', penny)).verified, true);
    assert.equal((await compare(fixture('crop-amy-1.png'), 'a.png', penny)).verified, false);
    const orl = await enrol('orl-s1-1.png');
    assert.equal((await compare(fixture('orl-s1-2.png'), 'o.png', orl)).verified, true);
    assert.equal((await compare(fixture('orl-s2-1.png'), 'o.png', orl)).verified, false);
  });

  it('should accept a 4800-pixel photo and match it to the small one', async () => {
    const large = await sharp(fixture('person-a-2.jpg')).resize({ width: 4800 }).jpeg().toBuffer();
    const { width, height } = await sharp(large).metadata();
    assert.ok(Math.max(width, height) >= 4800);
    const result = await compare(large, 'large.jpg', await enrol('person-a-1.jpg'));
    assert.equal(result.verified, true, `distance ${result.distance}`);
    assert.ok(result.facial_areas.img2.w > 500, 'the box is in full-resolution pixels');
  });

  it('should match a small face in a large JPEG, whose reduced decode is too coarse for it', async () => {
    // 4000 x 3000: decoded at reduced scale for detection; the face is about 50 px wide there,
    // so its chips must come from a full decode (a 170 px face at full resolution).
    const face = await sharp(fixture('person-a-1.jpg')).resize({ width: 220 }).toBuffer();
    const large = await sharp({
      create: { width: 4000, height: 3000, channels: 3, background: { r: 90, g: 110, b: 120 } },
    })
      .composite([{ input: face, left: 2600, top: 900 }])
      .jpeg({ quality: 90 })
      .toBuffer();
    const result = await compare(large, 'small-face.jpg', await enrol('person-a-1.jpg'));
    assert.equal(result.verified, true, `distance ${result.distance}`);
    const box = result.facial_areas.img2;
    assert.ok(box.x >= 2550 && box.x + box.w <= 2870, `box ${JSON.stringify(box)}`);
    assert.ok(box.y >= 850 && box.y + box.h <= 1300, `box ${JSON.stringify(box)}`);
  });

  it('should accept a photo whose face is about 100 pixels wide', async () => {
    const small = await sharp(fixture('person-a-2.jpg')).resize({ width: 260 }).jpeg().toBuffer();
    const result = await compare(small, 'small.jpg', await enrol('person-a-1.jpg'));
    assert.ok(result.facial_areas.img2.w < 160, `face ${result.facial_areas.img2.w} px wide`);
    assert.equal(result.verified, true, `distance ${result.distance}`);
  });

  it('should refuse to enrol a group photo, naming the number of faces', async () => {
    await upload(fixture('group-6-faces.jpg'), 'group.jpg').expect(400, {
      detail:
        'Multiple faces detected in the image (6). Please upload an image with a single face.',
    });
  });

  it('should find the enrolled person in a group photo and say which face matched', async () => {
    // Penny sits in the middle of the bottom row of group-6-faces.jpg (710 x 473).
    const result = await compare(
      fixture('group-6-faces.jpg'),
      'group.jpg',
      await enrol('crop-penny-1.png'),
    );
    assert.equal(result.verified, true, `distance ${result.distance}`);
    const box = result.facial_areas.img2;
    const centreX = box.x + box.w / 2;
    const centreY = box.y + box.h / 2;
    assert.ok(centreX > 710 / 3 && centreX < (2 * 710) / 3, `centre x ${centreX}`);
    assert.ok(centreY > 473 / 2, `centre y ${centreY}`);
  });

  it('should find no face in a blank image', async () => {
    await upload(fixture('no-face.png'), 'blank.png').expect(400);
  });

  it('should answer 409 for a reference made by another model', async () => {
    const key = await enrol('person-b-1.jpg');
    await app
      .get(DataSource)
      .query('UPDATE face_references SET model = ? WHERE ref_key = ?', ['an-older-model', key]);
    const response = await request(server)
      .post('/compare_with_reference')
      .attach('image', fixture('person-b-2.jpg'), 'b.jpg')
      .field('reference_key', key)
      .expect(409);
    assert.match((response.body as { detail: string }).detail, /an-older-model/);
  });

  it('should separate the fixture pairs at the committed threshold', async () => {
    const a = await enrol('person-a-1.jpg');
    const same = [
      await compare(fixture('person-a-2.jpg'), 'a2.jpg', a),
      await compare(fixture('crop-penny-2.png'), 'p2.png', await enrol('crop-penny-1.png')),
    ];
    const different = [
      await compare(fixture('person-b-2.jpg'), 'b2.jpg', a),
      await compare(fixture('person-a-2.jpg'), 'a2.jpg', await enrol('person-b-2.jpg')),
      await compare(fixture('crop-amy-1.png'), 'amy.png', await enrol('crop-sheldon-3.png')),
    ];
    for (const result of same)
      assert.ok(result.distance <= result.threshold, `same ${result.distance}`);
    for (const result of different)
      assert.ok(result.distance > result.threshold, `different ${result.distance}`);
  });
});

describe('POST /verify', () => {
  let app: INestApplication;
  let server: App;

  before(async () => {
    app = await startApp();
    server = app.getHttpServer() as App;
  });

  after(async () => {
    await app?.close();
  });

  const verify = (first: string, second: string) =>
    request(server)
      .post('/verify')
      .attach('image1', fixture(first), first)
      .attach('image2', fixture(second), second);

  it('should verify the same person and refuse different people, storing nothing', async () => {
    const same = await verify('person-a-1.jpg', 'person-a-2.jpg').expect(200);
    const sameResult = (same.body as { result: Verification }).result;
    assert.equal(sameResult.verified, true, `distance ${sameResult.distance}`);
    const other = await verify('person-a-1.jpg', 'person-b-1.jpg').expect(200);
    assert.equal((other.body as { result: Verification }).result.verified, false);
    await request(server).get('/list_references').expect(200, { count: 0, references: [] });
  });

  it('should find the person in a group photo and give both boxes', async () => {
    const response = await verify('crop-penny-1.png', 'group-6-faces.jpg').expect(200);
    const result = (
      response.body as {
        result: Verification & { facial_areas: { img1: { w: number } } };
      }
    ).result;
    assert.equal(result.verified, true, `distance ${result.distance}`);
    assert.ok(result.facial_areas.img1.w > 0 && result.facial_areas.img2.w > 0);
  });

  it('should answer 400 without a face and 422 naming missing photos', async () => {
    await verify('person-a-1.jpg', 'no-face.png').expect(400, {
      detail: 'No face detected in the image. Please upload an image with a clear face.',
    });
    await request(server)
      .post('/verify')
      .attach('image1', fixture('person-a-1.jpg'), 'a.jpg')
      .expect(422, {
        detail: [{ loc: ['body', 'image2'], msg: 'Field required', type: 'missing' }],
      });
    await request(server)
      .post('/verify')
      .attach('image1', fixture('person-a-1.jpg'), 'a.gif')
      .attach('image2', fixture('person-a-2.jpg'), 'b.jpg')
      .expect(400, { detail: 'Invalid file extension' });
  });
});
