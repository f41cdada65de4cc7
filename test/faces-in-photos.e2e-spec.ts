// Which faces count: no face where there is none (uniform colours, gradients, noise, drawings),
// the face a photo is about when it shows several, and a bounded number of faces per photo.
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { intersectionOverUnion } from '../src/common/face-box.js';
import { nonFaceImages } from './support/non-face-images.js';
import { fixture, startApp } from './support/app.js';

const NO_FACE = 'No face detected in the image. Please upload an image with a clear face.';
const multipleFaces = (count: number) =>
  `Multiple faces detected in the image (${count}). Please upload an image with a single face.`;

interface Area {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Intersection over union of two boxes as the API writes them. */
function overlap(a: Area, b: Area): number {
  const box = ({ x, y, w, h }: Area) => ({ x, y, width: w, height: h });
  return intersectionOverUnion(box(a), box(b));
}

describe('faces in photos', () => {
  let app: INestApplication;
  let server: App;

  before(async () => {
    app = await startApp();
    server = app.getHttpServer() as App;
  });

  after(async () => {
    await app?.close();
  });

  const upload = (bytes: Buffer, name: string, policy?: string) => {
    const call = request(server).post('/upload_reference');
    if (policy) void call.field('multi_face_policy', policy);
    return call.attach('image', bytes, name);
  };
  const compare = (bytes: Buffer, name: string, key: string) =>
    request(server)
      .post('/compare_with_reference')
      .attach('image', bytes, name)
      .field('reference_key', key);

  describe('no face where there is none', () => {
    it('should enrol none of the featureless images, and verify none of them', async () => {
      const images = await nonFaceImages();
      for (const [name, bytes] of images) {
        await upload(bytes, name).expect(400, { detail: NO_FACE });
      }
      const [black, blackAgain] = images;
      await request(server)
        .post('/verify')
        .attach('image1', black[1], black[0])
        .attach('image2', blackAgain[1], blackAgain[0])
        .expect(400, { detail: NO_FACE });
    });
  });

  describe('the face a photo is about', () => {
    /** person-a-2 with a second, much smaller face at its lower right corner. */
    const withBystander = async () => {
      const bystander = await sharp(fixture('person-b-1.jpg')).resize({ width: 300 }).toBuffer();
      return sharp(fixture('person-a-2.jpg'))
        .composite([{ input: bystander, left: 450, top: 880 }])
        .jpeg({ quality: 92 })
        .toBuffer();
    };

    it('should enrol the dominant face, say which, and match it to the same person', async () => {
      const single = (await upload(fixture('person-a-2.jpg'), 'alone.jpg').expect(200)).body as {
        key: string;
        faces_detected?: number;
      };
      assert.equal(single.faces_detected, undefined, 'the old answer for a one-face photo');
      const alone = (await request(server).get(`/references/${single.key}`).expect(200)).body as {
        face_box: Area;
      };
      const response = await upload(await withBystander(), 'news.jpg').expect(200);
      const enrolled = response.body as {
        key: string;
        facial_area: Area;
        faces_detected: number;
      };
      assert.equal(enrolled.faces_detected, 2);
      // The same face as alone (the detector's box moves a little with a second face in view).
      assert.ok(
        overlap(enrolled.facial_area, alone.face_box) > 0.7,
        `${JSON.stringify(enrolled.facial_area)} is not ${JSON.stringify(alone.face_box)}`,
      );
      const stored = (await request(server).get(`/references/${enrolled.key}`).expect(200))
        .body as { face_box: unknown };
      assert.deepEqual(stored.face_box, enrolled.facial_area);
      const result = (await compare(fixture('person-a-1.jpg'), 'a.jpg', enrolled.key).expect(200))
        .body as { result: { verified: boolean; distance: number } };
      assert.equal(result.result.verified, true, `distance ${result.result.distance}`);
    });

    it('should refuse the same photo when the client asks for the strict policy', async () => {
      await upload(await withBystander(), 'news.jpg', 'reject').expect(400, {
        detail: multipleFaces(2),
      });
    });

    it('should refuse a photo where no face dominates', async () => {
      await upload(fixture('group-6-faces.jpg'), 'group.jpg').expect(400, {
        detail: multipleFaces(6),
      });
      const [left, right] = await Promise.all(
        ['person-a-1.jpg', 'person-a-1-grey.jpg'].map((name) =>
          sharp(fixture(name)).resize({ height: 400 }).toBuffer(),
        ),
      );
      const pair = await sharp({
        create: { width: 560, height: 400, channels: 3, background: { r: 255, g: 255, b: 255 } },
      })
        .composite([
          { input: left, left: 0, top: 0 },
          { input: right, left: 290, top: 0 },
        ])
        .jpeg()
        .toBuffer();
      await upload(pair, 'pair.jpg').expect(400, { detail: multipleFaces(2) });
    });
  });

  describe('a centred subject beside a bystander of its size', () => {
    /**
     * A 700 x 400 photo: Penny's face at the centre, Leonard's, a little larger, at the left edge,
     * and with `group`, Howard's at the right edge too (tight crops, so each face fills its tile).
     */
    const scene = async (group: boolean) => {
      const tile = (name: string, side: number) =>
        sharp(fixture(name)).resize({ width: side, height: side }).toBuffer();
      const tiles = [
        { input: await tile('crop-penny-1.png', 150), left: 275, top: 125 },
        { input: await tile('crop-leonard-1.png', 160), left: 10, top: 120 },
      ];
      if (group) tiles.push({ input: await tile('crop-howard-1.png', 150), left: 540, top: 125 });
      return sharp({
        create: { width: 700, height: 400, channels: 3, background: { r: 235, g: 235, b: 235 } },
      })
        .composite(tiles)
        .jpeg({ quality: 92 })
        .toBuffer();
    };

    it('should enrol the central face, though not the largest, and match it to the same person', async () => {
      const enrolled = (await upload(await scene(false), 'two.jpg').expect(200)).body as {
        key: string;
        facial_area: Area;
        faces_detected: number;
      };
      assert.equal(enrolled.faces_detected, 2);
      assert.ok(
        overlap(enrolled.facial_area, { x: 275, y: 125, w: 150, h: 150 }) > 0.4,
        `${JSON.stringify(enrolled.facial_area)} is not the central face`,
      );
      const result = (await compare(fixture('crop-penny-2.png'), 'p.png', enrolled.key).expect(200))
        .body as { result: { verified: boolean; distance: number } };
      assert.equal(result.result.verified, true, `distance ${result.result.distance}`);
    });

    it('should refuse the middle of a row of three', async () => {
      await upload(await scene(true), 'row.jpg').expect(400, { detail: multipleFaces(3) });
    });
  });

  describe('a face printed on a shirt', () => {
    /** person-b-2 with person A's face, about 60 x 75 px, on his chest (scripts/make-fixtures.mjs). */
    const shirt = () => fixture('person-b-2-shirt-a.jpg');
    interface Result {
      verified: boolean;
      distance: number;
      facial_areas: { img1: Area; img2: Area };
      faces_skipped: number;
    }
    const enrol = async (name: string) =>
      ((await upload(fixture(name), name).expect(200)).body as { key: string }).key;
    const judged = async (key: string, fields: Record<string, string> = {}) => {
      const call = compare(shirt(), 'shirt.jpg', key);
      for (const [name, value] of Object.entries(fields)) void call.field(name, value);
      return ((await call.expect(200)).body as { result: Result }).result;
    };

    it('should not verify the person whose face is on the shirt, by default or at any level', async () => {
      const personA = await enrol('person-a-2.jpg');
      const asked: Record<string, string>[] = [
        {},
        { security: 'high' },
        { probe_faces: 'subject' },
      ];
      for (const fields of asked) {
        const result = await judged(personA, fields);
        assert.equal(result.verified, false, `${JSON.stringify(fields)}: ${result.distance}`);
        // Judged by the wearer's face, the large one; the printed face only counted as skipped.
        assert.ok(result.facial_areas.img2.w > 150, JSON.stringify(result.facial_areas.img2));
        assert.equal(result.faces_skipped, 1);
      }
    });

    it('should verify the wearer, and the printed face only when the client asks for every face', async () => {
      const personB = await enrol('person-b-1.jpg');
      const wearer = await judged(personB);
      assert.equal(wearer.verified, true, `distance ${wearer.distance}`);
      const personA = await enrol('person-a-2.jpg');
      const anyFace = await judged(personA, { probe_faces: 'all' });
      assert.equal(anyFace.verified, true, `distance ${anyFace.distance}`);
      assert.ok(anyFace.facial_areas.img2.w < 100, JSON.stringify(anyFace.facial_areas.img2));
      assert.equal(anyFace.faces_skipped, 0);
    });

    it('should judge both photos of /verify by their subject', async () => {
      const verify = (probeFaces?: string) => {
        const call = request(server)
          .post('/verify')
          .attach('image1', fixture('person-a-2.jpg'), 'a.jpg')
          .attach('image2', shirt(), 'shirt.jpg');
        if (probeFaces) void call.field('probe_faces', probeFaces);
        return call.expect(200);
      };
      const bySubject = ((await verify()).body as { result: Result }).result;
      assert.equal(bySubject.verified, false, `distance ${bySubject.distance}`);
      assert.equal(bySubject.faces_skipped, 1);
      const anyFace = ((await verify('all')).body as { result: Result }).result;
      assert.equal(anyFace.verified, true, `distance ${anyFace.distance}`);
    });

    it('should answer 400 for a probe_faces it does not know, on compare and verify', async () => {
      const personA = await enrol('person-a-2.jpg');
      const refused = await compare(shirt(), 'shirt.jpg', personA)
        .field('probe_faces', 'largest')
        .expect(400);
      assert.match((refused.body as { detail: string }).detail, /probe_faces/);
      await request(server)
        .post('/verify')
        .attach('image1', fixture('person-a-2.jpg'), 'a.jpg')
        .attach('image2', shirt(), 'shirt.jpg')
        .field('probe_faces', '')
        .expect(400);
    });
  });

  describe('the quality of what is enrolled', () => {
    it('should report what the enrolled face measured', async () => {
      const { key } = (await upload(fixture('person-a-2.jpg'), 'a.jpg').expect(200)).body as {
        key: string;
      };
      const { face_quality: quality } = (
        await request(server).get(`/references/${key}`).expect(200)
      ).body as {
        face_quality: {
          detector_score: number;
          inter_ocular: number;
          sharpness: number;
          yaw: number;
          roll: number;
        };
      };
      assert.ok(quality.detector_score > 0.9, JSON.stringify(quality));
      assert.ok(quality.inter_ocular > 100 && quality.inter_ocular < 200, JSON.stringify(quality));
      assert.ok(quality.sharpness > 5, JSON.stringify(quality));
      assert.ok(
        Math.abs(quality.yaw) < 0.3 && Math.abs(quality.roll) < 15,
        JSON.stringify(quality),
      );
    });

    it('should refuse a face too small to enrol where the operator set a floor', async () => {
      const strict = await startApp({ ENROL_MIN_INTER_OCULAR: '60', FACE_WORKERS: '1' });
      try {
        const small = await sharp(fixture('person-a-2.jpg'))
          .resize({ width: 160 })
          .jpeg()
          .toBuffer();
        const refused = await request(strict.getHttpServer() as App)
          .post('/upload_reference')
          .attach('image', small, 'small.jpg')
          .expect(400);
        assert.match(
          (refused.body as { detail: string }).detail,
          /^Face too small to enrol: \d+ pixels between the eyes, at least 60 needed/,
        );
        await request(strict.getHttpServer() as App)
          .post('/upload_reference')
          .attach('image', fixture('person-a-2.jpg'), 'a.jpg')
          .expect(200);
      } finally {
        await strict.close();
      }
    });
  });

  describe('a bounded number of faces per photo', () => {
    it('should compare the 10 largest faces of a crowd and identify the 20 largest, saying how many it skipped', async () => {
      const tile = await sharp(fixture('person-a-1.jpg'))
        .resize({ width: 110, height: 170, fit: 'cover' })
        .toBuffer();
      const composites = [];
      for (let row = 0; row < 6; row++) {
        for (let column = 0; column < 9; column++) {
          composites.push({ input: tile, left: column * 113, top: row * 172 });
        }
      }
      const crowd = await sharp({
        create: { width: 1024, height: 1032, channels: 3, background: { r: 240, g: 240, b: 240 } },
      })
        .composite(composites)
        .jpeg({ quality: 80 })
        .toBuffer();
      const key = (
        (await upload(fixture('person-a-2.jpg'), 'a.jpg').expect(200)).body as {
          key: string;
        }
      ).key;
      const identified = (
        await request(server).post('/identify').attach('image', crowd, 'crowd.jpg').expect(200)
      ).body as { faces: unknown[]; faces_skipped: number };
      assert.equal(identified.faces.length, 20);
      const detected = identified.faces.length + identified.faces_skipped;
      assert.ok(detected > 30, `${detected} faces found`);
      const compared = (await compare(crowd, 'crowd.jpg', key).expect(200)).body as {
        result: { verified: boolean; faces_skipped: number };
      };
      assert.equal(compared.result.faces_skipped, detected - 10);
      assert.equal(compared.result.verified, true);
    });
  });
});
