import {
  ReferenceStore,
  type NewReference,
  type ReembedStore,
  type ReferenceCount,
  type ReferenceModel,
  type ReferencePage,
  type StoredEmbedding,
  type StoredImage,
  type SubjectCount,
} from '../../src/store/reference-store.js';
import type { FaceBox } from '../../src/common/face-box.js';

/**
 * The reference store's ports in memory (the service's, the re-embedding's and the count), for
 * the services' unit specs; `failWith` fails its writes and lists.
 */
export class MemoryStore extends ReferenceStore implements ReembedStore, ReferenceCount {
  rows: (NewReference & { id: number })[] = [];
  nextId = 1;
  signals: (AbortSignal | undefined)[] = [];
  failWith?: Error;
  insert(reference: NewReference, signal?: AbortSignal): Promise<number> {
    this.signals.push(signal);
    if (this.failWith) return Promise.reject(this.failWith);
    const id = this.nextId++;
    this.rows.push({ ...reference, id });
    return Promise.resolve(id);
  }
  findEmbedding(key: string): Promise<StoredEmbedding | null> {
    const row = this.find(key);
    return Promise.resolve(
      row ? { key, embedding: row.embedding, box: row.box, model: row.model } : null,
    );
  }
  findSubjectEmbeddings(subject: string): Promise<StoredEmbedding[]> {
    const rows = this.rows.filter((row) => row.subject === subject);
    return Promise.resolve(
      rows.map(({ key, embedding, box, model }) => ({ key, embedding, box, model })),
    );
  }
  findMetadata(): Promise<null> {
    return Promise.resolve(null);
  }
  readImage(key: string): Promise<StoredImage | null> {
    const row = this.find(key);
    return Promise.resolve(
      row ? { contentType: row.contentType, filename: row.filename, bytes: row.image } : null,
    );
  }
  list(): Promise<ReferencePage> {
    if (this.failWith) return Promise.reject(this.failWith);
    const items = this.rows.map(({ key, filename, subject }) => ({ key, filename, subject }));
    return Promise.resolve({ total: items.length, items });
  }
  delete(key: string): Promise<number | null> {
    const row = this.find(key);
    this.rows = this.rows.filter((candidate) => candidate !== row);
    return Promise.resolve(row?.id ?? null);
  }
  count(): Promise<number> {
    return Promise.resolve(this.rows.length);
  }
  subjects(): Promise<SubjectCount[]> {
    return Promise.resolve([]);
  }
  replaceEmbedding(
    key: string,
    from: string,
    replacement: { embedding: Float32Array; box: FaceBox; model: string },
  ): Promise<boolean> {
    const row = this.find(key);
    if (!row || row.model !== from) return Promise.resolve(false);
    Object.assign(row, replacement);
    return Promise.resolve(true);
  }
  modelsAfter(afterId: number, limit: number): Promise<ReferenceModel[]> {
    const after = this.rows.filter((row) => row.id > afterId).slice(0, limit);
    return Promise.resolve(after.map(({ id, key, model }) => ({ id, key, model })));
  }
  private find(key: string): (NewReference & { id: number }) | undefined {
    return this.rows.find((candidate) => candidate.key === key);
  }
}
