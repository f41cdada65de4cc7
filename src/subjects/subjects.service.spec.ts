import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  DatabaseUnavailableError,
  InvalidSubjectError,
  SubjectNotFoundError,
} from '../common/errors.js';
import type { SubjectMetadata } from './subject-metadata.js';
import { SubjectStore, type SubjectReference } from './subject-store.js';
import { SubjectsService } from './subjects.service.js';

/** People in memory, with the store's rule: metadata only for a person with a reference. */
class FakeSubjectStore extends SubjectStore {
  readonly people = new Map<string, SubjectReference[]>();
  readonly kept = new Map<string, SubjectMetadata>();
  failWith?: Error;

  references(subject: string): Promise<SubjectReference[]> {
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve(this.people.get(subject) ?? []);
  }
  metadata(subjects: string[]): Promise<Map<string, SubjectMetadata>> {
    const found = new Map<string, SubjectMetadata>();
    for (const subject of subjects) {
      const metadata = this.kept.get(subject);
      if (metadata) found.set(subject, metadata);
    }
    return Promise.resolve(found);
  }
  saveMetadata(subject: string, metadata: SubjectMetadata): Promise<boolean> {
    if (!this.people.has(subject)) return Promise.resolve(false);
    this.kept.set(subject, metadata);
    return Promise.resolve(true);
  }
  erase(subject: string): Promise<number> {
    const erased = this.people.get(subject)?.length ?? 0;
    this.people.delete(subject);
    this.kept.delete(subject);
    return Promise.resolve(erased);
  }
}

const reference = (key: string): SubjectReference => ({
  key,
  filename: `${key}.jpg`,
  createdAt: new Date('2026-12-01T10:00:00Z'),
  quality: null,
});

describe('SubjectsService', () => {
  let store: FakeSubjectStore;
  let service: SubjectsService;

  beforeEach(() => {
    store = new FakeSubjectStore();
    service = new SubjectsService(store);
    store.people.set('amy', [reference('a1'), reference('a2')]);
  });

  it('should describe a person with {} as metadata until some is stored', async () => {
    assert.deepEqual(await service.describe('amy'), {
      subject: 'amy',
      references: [reference('a1'), reference('a2')],
      metadata: {},
    });
    const person = await service.setMetadata('amy', { team: 'physics' });
    assert.deepEqual(person.metadata, { team: 'physics' });
  });

  it('should answer SubjectNotFound for a person without references, for every operation', async () => {
    await assert.rejects(service.describe('raj'), SubjectNotFoundError);
    await assert.rejects(service.setMetadata('raj', { a: 1 }), SubjectNotFoundError);
    await assert.rejects(service.erase('raj'), SubjectNotFoundError);
    assert.equal(store.kept.has('raj'), false);
  });

  it('should erase a person and say how many references they had; then they are unknown', async () => {
    await service.setMetadata('amy', { team: 'physics' });
    assert.equal(await service.erase('amy'), 2);
    await assert.rejects(service.describe('amy'), SubjectNotFoundError);
    assert.deepEqual(await service.metadataOf(['amy']), new Map());
  });

  it('should refuse a subject no upload could have stored, without looking it up', async () => {
    store.failWith = new Error('looked up');
    await assert.rejects(service.describe('a\u0007b'), InvalidSubjectError);
    await assert.rejects(service.erase('x'.repeat(101)), InvalidSubjectError);
  });

  it('should give the metadata of the people that have some, for identification', async () => {
    store.people.set('raj', [reference('r1')]);
    await service.setMetadata('raj', { floor: 4 });
    const found = await service.metadataOf(['amy', 'raj', 'nobody']);
    assert.deepEqual([...found], [['raj', { floor: 4 }]]);
    assert.deepEqual(await service.metadataOf([]), new Map());
  });

  it('should turn a lost database into DatabaseUnavailable', async () => {
    store.failWith = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await assert.rejects(service.describe('amy'), DatabaseUnavailableError);
  });
});
