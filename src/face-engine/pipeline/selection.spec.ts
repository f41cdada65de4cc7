import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectFaces, subjectFace } from './selection.js';

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

  it('should keep the largest faces up to the cap, in the order found', () => {
    const faces = [face(0, 0, 10), face(100, 0, 40), face(200, 0, 30), face(300, 0, 20)];
    assert.deepEqual(selectFaces(faces, photo, { kind: 'largest', max: 2 }), [faces[1], faces[2]]);
    assert.deepEqual(selectFaces(faces, photo, { kind: 'largest', max: 9 }), faces);
  });
});
