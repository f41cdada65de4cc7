import { Injectable } from '@nestjs/common';
import { InvalidSubjectError, SubjectNotFoundError } from '../common/errors.js';
import { asOperation } from '../common/operation.js';
import { PRINTABLE_TEXT } from '../common/validation.js';
import { SUBJECT_MAX_LENGTH } from '../store/reference-store.js';
import type { SubjectMetadata } from './subject-metadata.js';
import { SubjectStore, type SubjectReference } from './subject-store.js';

/** A person: the references that carry their subject, and the metadata kept on them. */
export interface Person {
  subject: string;
  references: SubjectReference[];
  metadata: SubjectMetadata;
}

/** A person as a resource: read, given metadata, erased. */
@Injectable()
export class SubjectsService {
  constructor(private readonly store: SubjectStore) {}

  async describe(collection: string, subject: string): Promise<Person> {
    assertSubject(subject);
    return asOperation('Error reading subject', () => this.person(collection, subject));
  }

  /** Replaces the person's metadata; the person as `describe` gives it. */
  async setMetadata(
    collection: string,
    subject: string,
    metadata: SubjectMetadata,
  ): Promise<Person> {
    assertSubject(subject);
    return asOperation('Error saving subject metadata', async () => {
      if (!(await this.store.saveMetadata(collection, subject, metadata))) {
        throw new SubjectNotFoundError(subject);
      }
      return this.person(collection, subject);
    });
  }

  /** Erases everything stored about the person; how many references they had. */
  async erase(collection: string, subject: string): Promise<number> {
    assertSubject(subject);
    return asOperation('Error erasing subject', async () => {
      const erased = await this.store.erase(collection, subject);
      if (erased === 0) throw new SubjectNotFoundError(subject);
      return erased;
    });
  }

  /**
   * The metadata of each of these people that has any, for answers that name people (an
   * identification grouped by person); people without metadata are absent from the map.
   */
  async metadataOf(collection: string, subjects: string[]): Promise<Map<string, SubjectMetadata>> {
    if (subjects.length === 0) return new Map();
    return asOperation('Error reading subject metadata', () =>
      this.store.metadata(collection, subjects),
    );
  }

  private async person(collection: string, subject: string): Promise<Person> {
    const references = await this.store.references(collection, subject);
    if (references.length === 0) throw new SubjectNotFoundError(subject);
    const metadata = (await this.store.metadata(collection, [subject])).get(subject) ?? {};
    return { subject, references, metadata };
  }
}

/** A subject no upload could have stored is refused, not looked up. */
function assertSubject(subject: string): void {
  if ([...subject].length > SUBJECT_MAX_LENGTH || !PRINTABLE_TEXT.test(subject)) {
    throw new InvalidSubjectError(SUBJECT_MAX_LENGTH);
  }
}
