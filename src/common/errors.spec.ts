import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  InvalidImageError,
  InvalidOperatingPointError,
  InvalidReferenceKeyError,
  PoorEnrolmentError,
  ReferenceNotFoundError,
} from './errors.js';

describe('domain error details', () => {
  it("should word a reference's absence as the old service did for each route", () => {
    assert.equal(
      new ReferenceNotFoundError('abc', 'image').message,
      'No reference image found with key: abc',
    );
    assert.equal(
      new ReferenceNotFoundError('abc', 'embedding').message,
      'No reference embedding found with key: abc',
    );
  });

  it('should word a malformed key as the old service did in a field and in a path', () => {
    assert.equal(
      new InvalidReferenceKeyError('a-b', 'field').message,
      'Reference key must be alphanumeric',
    );
    assert.equal(new InvalidReferenceKeyError('a-b', 'path').message, 'Invalid reference key');
  });

  it('should say whether an image is undecodable or too large, naming the variable', () => {
    assert.equal(new InvalidImageError().message, 'Invalid image file');
    assert.equal(
      new InvalidImageError(40_000_000).message,
      'Image too large: more than 40000000 pixels (MAX_IMAGE_PIXELS)',
    );
  });

  it('should say which quality floor a face missed, rounded, and what to upload instead', () => {
    assert.equal(
      new PoorEnrolmentError('inter-ocular', 31.6, 40).message,
      'Face too small to enrol: 32 pixels between the eyes, at least 40 needed. Please upload ' +
        'a larger photo of the face.',
    );
    assert.equal(
      new PoorEnrolmentError('sharpness', 12.2, 50).message,
      'Face too blurred to enrol: sharpness 12, at least 50 needed. Please upload a sharper photo.',
    );
  });

  it('should say what is wrong with an operating point', () => {
    assert.equal(
      new InvalidOperatingPointError('threshold and security').message,
      'Give either threshold or security, not both',
    );
    assert.equal(
      new InvalidOperatingPointError({ uncalibratedModel: 'facenet-x' }).message,
      'No calibration for model facenet-x: security levels are unavailable; give a threshold',
    );
  });
});
