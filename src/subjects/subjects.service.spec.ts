import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  DatabaseUnavailableError,
  InvalidSubjectError,
  SubjectNotFoundError,
} from '../common/errors.js';
import { MemorySubjectStore } from '../../test/support/memory-subject-store.js';
import type { SubjectReference } from './subject-store.js';
import { SubjectsService } from './subjects.service.js';

const reference = (key: string): SubjectReference => ({
  key,
  filename: `${key}.jpg`,
  createdAt: new Date('2026-12-01T10:00:00Z'),
  quality: null,
});

describe('SubjectsService', () => {
  let store: MemorySubjectStore;
  let service: SubjectsService;

  beforeEach(() => {
    store = new MemorySubjectStore();
    service = new SubjectsService(store);
    store.people.set('amy', [reference('a1'), reference('a2')]);
  });

  it('should describe a person with {} as metadata until some is stored', async () => {
    assert.deepEqual(await service.describe('default', 'amy'), {
      subject: 'amy',
      references: [reference('a1'), reference('a2')],
      metadata: {},
    });
    const person = await service.setMetadata('default', 'amy', { team: 'physics' });
    assert.deepEqual(person.metadata, { team: 'physics' });
  });

  it('should answer SubjectNotFound for a person without references, for every operation', async () => {
    await assert.rejects(service.describe('default', 'raj'), SubjectNotFoundError);
    await assert.rejects(service.setMetadata('default', 'raj', { a: 1 }), SubjectNotFoundError);
    await assert.rejects(service.erase('default', 'raj'), SubjectNotFoundError);
    assert.equal(store.kept.has('raj'), false);
  });

  it('should erase a person and say how many references they had; then they are unknown', async () => {
    await service.setMetadata('default', 'amy', { team: 'physics' });
    assert.equal(await service.erase('default', 'amy'), 2);
    await assert.rejects(service.describe('default', 'amy'), SubjectNotFoundError);
    assert.deepEqual(await service.metadataOf('default', ['amy']), new Map());
  });

  it('should refuse a subject no upload could have stored, without looking it up', async () => {
    store.failWith = new Error('looked up');
    await assert.rejects(service.describe('default', 'a\u0007b'), InvalidSubjectError);
    await assert.rejects(service.erase('default', 'x'.repeat(101)), InvalidSubjectError);
  });

  it('should give the metadata of the people that have some, for identification', async () => {
    store.people.set('raj', [reference('r1')]);
    await service.setMetadata('default', 'raj', { floor: 4 });
    const found = await service.metadataOf('default', ['amy', 'raj', 'nobody']);
    assert.deepEqual([...found], [['raj', { floor: 4 }]]);
    assert.deepEqual(await service.metadataOf('default', []), new Map());
  });

  it('should turn a lost database into DatabaseUnavailable', async () => {
    store.failWith = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await assert.rejects(service.describe('default', 'amy'), DatabaseUnavailableError);
  });
});
