import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EnrolledPhoto } from '../store/enrolled-photos.js';
import { BulkEnrolment, type EnrolmentProgress } from './bulk-enrolment.service.js';
import {
  EnrolmentAborted,
  EnrolmentTarget,
  RetryLater,
  type EnrolAnswer,
  type PhotoUpload,
} from './enrolment-target.js';
import type { PhotoToEnrol } from './photo-sources.js';

/** Stores what it is sent; a photo whose bytes say "no face" is refused, "busy" asks for a retry. */
class FakeTarget extends EnrolmentTarget {
  readonly description = 'fake';
  stored: (EnrolledPhoto & { key: string })[] = [];
  sent = 0;
  inFlight = 0;
  mostInFlight = 0;
  busyAnswers = 0;
  abortAfter = Infinity;

  connect() {
    return Promise.resolve({ workers: 3 });
  }

  enrolled(photos: Pick<PhotoUpload, 'sha256'>[]): Promise<EnrolledPhoto[]> {
    const digests = new Set(photos.map(({ sha256 }) => sha256));
    return Promise.resolve(this.stored.filter(({ sha256 }) => digests.has(sha256)));
  }

  async enrol({ bytes, subject, sha256 }: PhotoUpload): Promise<EnrolAnswer> {
    this.sent += 1;
    if (this.sent > this.abortAfter) throw new EnrolmentAborted('gone');
    this.inFlight += 1;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.inFlight -= 1;
    const text = bytes.toString();
    if (text.startsWith('busy') && this.busyAnswers-- > 0) throw new RetryLater('busy', 0);
    if (text.startsWith('no face')) return { outcome: 'refused', reason: 'No face detected' };
    const key = `k${this.stored.length}`;
    this.stored.push({ sha256, subject, key });
    return { outcome: 'enrolled', key };
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('bulk enrolment', () => {
  let dir: string;
  const photo = (name: string, text: string, subject: string | null): PhotoToEnrol => {
    writeFileSync(join(dir, name), text);
    return { source: name, path: join(dir, name), subject };
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'facegate-bulk-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('should enrol, refuse with the reason, and on a second run send nothing again', async () => {
    const target = new FakeTarget();
    const photos = [
      photo('a1.jpg', 'amy 1', 'amy'),
      photo('a2.jpg', 'amy 2', 'amy'),
      photo('blank.png', 'no face', 'amy'),
      // The same bytes under another subject are another enrolment.
      photo('b1.jpg', 'amy 1', 'bob'),
      { source: 'gone.jpg', path: join(dir, 'gone.jpg'), subject: 'amy' },
    ];
    const first = await new BulkEnrolment(target).run(photos);
    assert.deepEqual(
      first.results.map(({ source, outcome }) => [source, outcome]),
      [
        ['a1.jpg', 'enrolled'],
        ['a2.jpg', 'enrolled'],
        ['blank.png', 'refused'],
        ['b1.jpg', 'enrolled'],
        ['gone.jpg', 'refused'],
      ],
    );
    assert.equal(
      first.results[2].outcome === 'refused' && first.results[2].reason,
      'No face detected',
    );
    assert.match(first.results[4].outcome === 'refused' ? first.results[4].reason : '', /ENOENT/);
    assert.deepEqual(
      target.stored.map(({ sha256, subject }) => `${subject} ${sha256}`).sort(),
      [`amy ${sha256('amy 1')}`, `amy ${sha256('amy 2')}`, `bob ${sha256('amy 1')}`].sort(),
    );

    const sentBefore = target.sent;
    const second = await new BulkEnrolment(target).run(photos);
    assert.equal(target.sent - sentBefore, 1, 'only the refused photo is sent again');
    assert.deepEqual(
      second.results.map(({ outcome }) => outcome),
      ['skipped', 'skipped', 'refused', 'skipped', 'refused'],
    );
  });

  it('should send a photo listed twice once, and retry one the target asks to send again', async () => {
    const target = new FakeTarget();
    target.busyAnswers = 2;
    const run = await new BulkEnrolment(target).run([
      photo('c1.jpg', 'busy carl', 'carl'),
      photo('c1-copy.jpg', 'busy carl', 'carl'),
    ]);
    assert.deepEqual(
      run.results.map((result) => [result.outcome, 'reason' in result ? result.reason : '']),
      [
        ['enrolled', ''],
        ['skipped', 'the same photo as c1.jpg'],
      ],
    );
    assert.equal(target.sent, 3);

    const refusing = new FakeTarget();
    refusing.busyAnswers = 10;
    const gaveUp = await new BulkEnrolment(refusing).run([photo('d.jpg', 'busy dan', 'dan')], {
      attempts: 2,
    });
    assert.deepEqual(gaveUp.results[0], {
      ...gaveUp.results[0],
      outcome: 'refused',
      reason: 'busy',
    });
  });

  it('should keep twice the workers in flight, or the concurrency asked, and show each answer', async () => {
    const photos = Array.from({ length: 20 }, (_, index) =>
      photo(`p${index}.jpg`, `person ${index}`, `p${index}`),
    );
    const byDefault = new FakeTarget();
    const advanced: number[] = [];
    const progress: EnrolmentProgress = {
      start: (total) => advanced.push(total),
      advance: () => advanced.push(1),
      stop: () => advanced.push(-1),
    };
    await new BulkEnrolment(byDefault).run(photos, { progress });
    assert.equal(byDefault.mostInFlight, 6);
    assert.deepEqual(advanced, [20, ...Array<number>(20).fill(1), -1]);

    const one = new FakeTarget();
    await new BulkEnrolment(one).run(photos, { concurrency: 1 });
    assert.equal(one.mostInFlight, 1);
  });

  it('should stop sending when the target is gone, and say why', async () => {
    const target = new FakeTarget();
    target.abortAfter = 2;
    const photos = Array.from({ length: 10 }, (_, index) =>
      photo(`q${index}.jpg`, `q ${index}`, 'q'),
    );
    const run = await new BulkEnrolment(target).run(photos, { concurrency: 1 });
    assert.equal(run.aborted, 'gone');
    assert.deepEqual(
      run.results.map(({ outcome }) => outcome),
      ['enrolled', 'enrolled', ...Array<string>(8).fill('not sent')],
    );
  });
});
