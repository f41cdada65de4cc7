import { DEFAULT_COLLECTION } from '../../src/collections/collection-name.js';
import type { SubjectMetadata } from '../../src/subjects/subject-metadata.js';
import { SubjectStore, type SubjectReference } from '../../src/subjects/subject-store.js';

/**
 * People of the default collection in memory, with the store's rule: metadata only for a person
 * with a reference. Another collection has nobody.
 */
export class MemorySubjectStore extends SubjectStore {
  readonly people = new Map<string, SubjectReference[]>();
  readonly kept = new Map<string, SubjectMetadata>();
  failWith?: Error;
  /** Calls of `metadata`: a caller that should read once per request can be held to it. */
  metadataReads = 0;

  references(collection: string, subject: string): Promise<SubjectReference[]> {
    if (this.failWith) return Promise.reject(this.failWith);
    if (collection !== DEFAULT_COLLECTION) return Promise.resolve([]);
    return Promise.resolve(this.people.get(subject) ?? []);
  }
  metadata(collection: string, subjects: string[]): Promise<Map<string, SubjectMetadata>> {
    this.metadataReads++;
    const found = new Map<string, SubjectMetadata>();
    if (collection !== DEFAULT_COLLECTION) return Promise.resolve(found);
    for (const subject of subjects) {
      const metadata = this.kept.get(subject);
      if (metadata) found.set(subject, metadata);
    }
    return Promise.resolve(found);
  }
  saveMetadata(collection: string, subject: string, metadata: SubjectMetadata): Promise<boolean> {
    if (collection !== DEFAULT_COLLECTION || !this.people.has(subject)) {
      return Promise.resolve(false);
    }
    this.kept.set(subject, metadata);
    return Promise.resolve(true);
  }
  erase(collection: string, subject: string): Promise<number> {
    if (collection !== DEFAULT_COLLECTION) return Promise.resolve(0);
    const erased = this.people.get(subject)?.length ?? 0;
    this.people.delete(subject);
    this.kept.delete(subject);
    return Promise.resolve(erased);
  }
}
