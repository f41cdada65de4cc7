import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rescuedSubject, selectConfirmed, selectFaces, subjectFace } from './selection.js';
import type { FaceSelection } from '../face-selection.js';

const face = (x: number, y: number, side: number) => ({ box: { x, y, width: side, height: side } });
const photo = { width: 1000, height: 800 };

describe('face selection', () => {
  it('should take a lone face, wherever and however small', () => {
    const lone = face(0, 0, 20);
    assert.equal(subjectFace([lone], photo, 'dominant'), lone);
    assert.equal(subjectFace([lone], photo, 'reject'), lone);
    assert.equal(subjectFace([], photo, 'dominant'), undefined);
  });

  it('should take a large central face over a small one at the edge, unless asked to reject', () => {
    const subject = face(400, 300, 200);
    const bystander = face(900, 50, 80);
    assert.equal(subjectFace([bystander, subject], photo, 'dominant'), subject);
    assert.equal(subjectFace([bystander, subject], photo, 'reject'), undefined);
  });

  it('should take a much larger face anywhere, a slightly larger one only at the centre', () => {
    const large = face(700, 500, 200);
    assert.equal(subjectFace([large, face(100, 100, 120)], photo, 'dominant'), large);
    const central = face(420, 320, 160);
    assert.equal(subjectFace([central, face(50, 300, 140)], photo, 'dominant'), central);
    const offCentre = face(150, 300, 160);
    assert.equal(subjectFace([offCentre, face(700, 300, 140)], photo, 'dominant'), undefined);
  });

  it('should take no face when the largest is not the most central', () => {
    const faces = [face(100, 300, 170), face(430, 330, 140)];
    assert.equal(subjectFace(faces, photo, 'dominant'), undefined);
  });

  it('should take a central face of three quarters of the largest beside one bystander, as a news photo centres its subject', () => {
    // Areas 0.95 and 0.70 of the bystander's at the edge.
    const bystander = face(20, 100, 160);
    const subject = face(422, 322, 156);
    assert.equal(subjectFace([bystander, subject], photo, 'dominant'), subject);
    assert.equal(subjectFace([bystander, subject], photo, 'reject'), undefined);
    const smaller = face(433, 333, 134);
    assert.equal(subjectFace([bystander, smaller], photo, 'dominant'), undefined);
    // A third face of half the largest's area or more makes a group: the middle of a row is not
    // the subject unless it is also the largest; a small face in the background does not.
    assert.equal(
      subjectFace([bystander, subject, face(800, 500, 120)], photo, 'dominant'),
      undefined,
    );
    assert.equal(
      subjectFace([bystander, subject, face(800, 500, 100)], photo, 'dominant'),
      subject,
    );
  });

  it('should keep the largest faces up to the cap, in the order found', () => {
    const faces = [face(0, 0, 10), face(100, 0, 40), face(200, 0, 30), face(300, 0, 20)];
    assert.deepEqual(selectFaces(faces, photo, { kind: 'largest', max: 2 }), [faces[1], faces[2]]);
    assert.deepEqual(selectFaces(faces, photo, { kind: 'largest', max: 9 }), faces);
  });

  it('should compare the face a photo is about, else the largest faces, as a comparison asks', () => {
    const selection: FaceSelection = { kind: 'subjectOrLargest', max: 2 };
    // A face printed on a shirt: small, below the wearer's.
    const wearer = face(400, 150, 200);
    const printed = face(470, 500, 60);
    assert.deepEqual(selectFaces([printed, wearer], photo, selection), [wearer]);
    assert.deepEqual(selectFaces([printed, wearer], photo, { kind: 'largest', max: 2 }), [
      printed,
      wearer,
    ]);
    // A row of three alike: no subject, so the largest two, as before.
    const row = [face(100, 300, 150), face(430, 320, 140), face(750, 300, 145)];
    assert.deepEqual(selectFaces(row, photo, selection), [row[0], row[2]]);
    assert.deepEqual(selectFaces([], photo, selection), []);
  });

  it('should rescue a weak central face only where no confident face is central', () => {
    const bystander = { ...face(850, 100, 100), score: 0.9 };
    const weakSubject = { ...face(430, 330, 140), score: 0.2 };
    assert.equal(rescuedSubject([bystander], [weakSubject], photo), weakSubject);
    assert.equal(rescuedSubject([], [weakSubject], photo), weakSubject);
    const tooWeak = { ...weakSubject, score: 0.1 };
    assert.equal(rescuedSubject([bystander], [tooWeak], photo), undefined);
    const smaller = { ...face(450, 350, 90), score: 0.4 };
    assert.equal(rescuedSubject([bystander], [smaller], photo), undefined);
    const offCentre = { ...face(100, 500, 140), score: 0.4 };
    assert.equal(rescuedSubject([bystander], [offCentre], photo), undefined);
    const centralConfident = { ...face(440, 340, 100), score: 0.8 };
    assert.equal(rescuedSubject([centralConfident], [weakSubject], photo), undefined);
    const overlapping = { ...face(400, 300, 150), score: 0.9 };
    const shifted = { ...face(480, 280, 150), score: 0.9 };
    assert.equal(rescuedSubject([shifted], [weakSubject], photo), undefined);
    assert.equal(rescuedSubject([overlapping], [weakSubject], photo), undefined);
    const wholeFrame = { ...face(100, 0, 800), score: 0.4 };
    assert.equal(rescuedSubject([], [wholeFrame], photo), undefined);
    const better = { ...face(420, 320, 150), score: 0.4 };
    assert.equal(rescuedSubject([bystander], [weakSubject, better], photo), better);
  });

  it('should select as selectFaces does on the confirmed faces, confirming only what it needs', async () => {
    let seed = 3;
    const random = (range: number) => (seed = (seed * 75 + 74) % 65537) % range;
    const selections: FaceSelection[] = [
      { kind: 'subject', policy: 'dominant' },
      { kind: 'subject', policy: 'reject' },
      { kind: 'largest', max: 3 },
      { kind: 'subjectOrLargest', max: 3 },
    ];
    for (let round = 0; round < 300; round++) {
      const faces = Array.from({ length: 1 + random(8) }, () => ({
        ...face(random(900), random(700), 20 + random(200)),
        real: random(4) > 0,
      }));
      for (const selection of selections) {
        const asked = new Set<object>();
        const { selected, found } = await selectConfirmed(faces, photo, selection, (detection) => {
          asked.add(detection);
          return Promise.resolve(detection.real);
        });
        const real = faces.filter((detection) => detection.real);
        assert.deepEqual(selected, selectFaces(real, photo, selection));
        assert.ok(selected.every((detection) => asked.has(detection)));
        assert.ok(found.every((detection) => detection.real || !asked.has(detection)));
      }
    }
  });

  it('should confirm the largest few faces of a crowd, not all of them', async () => {
    const crowd = Array.from({ length: 64 }, (_, index) =>
      face((index % 8) * 120, Math.floor(index / 8) * 95, 60 + (index % 5)),
    );
    for (const [selection, most] of [
      [{ kind: 'largest', max: 10 }, 10],
      [{ kind: 'subject', policy: 'dominant' }, 4],
      [{ kind: 'subject', policy: 'reject' }, 2],
      // The subject rule's witnesses, then the largest ten (the witnesses among them).
      [{ kind: 'subjectOrLargest', max: 10 }, 14],
    ] as [FaceSelection, number][]) {
      let confirmations = 0;
      const { found } = await selectConfirmed(crowd, photo, selection, () => {
        confirmations++;
        return Promise.resolve(true);
      });
      assert.ok(confirmations <= most, `${selection.kind}: ${confirmations} confirmed`);
      assert.equal(found.length, 64);
    }
  });
});
