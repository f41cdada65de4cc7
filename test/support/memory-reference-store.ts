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

type Row = NewReference & { id: number; collection: string };

/**
 * The reference store's ports in memory (the service's, the re-embedding's and the count), for
 * the services' unit specs, each row in its collection; `failWith` fails its writes and lists.
 */
export class MemoryStore extends ReferenceStore implements ReembedStore, ReferenceCount {
  rows: Row[] = [];
  nextId = 1;
  signals: (AbortSignal | undefined)[] = [];
  failWith?: Error;
  insert(collection: string, reference: NewReference, signal?: AbortSignal): Promise<number> {
    this.signals.push(signal);
    if (this.failWith) return Promise.reject(this.failWith);
    const id = this.nextId++;
    this.rows.push({ ...reference, id, collection });
    return Promise.resolve(id);
  }
  findEmbedding(collection: string, key: string): Promise<StoredEmbedding | null> {
    const row = this.find(collection, key);
    return Promise.resolve(
      row ? { key, embedding: row.embedding, box: row.box, model: row.model } : null,
    );
  }
  findSubjectEmbeddings(collection: string, subject: string): Promise<StoredEmbedding[]> {
    const rows = this.rows.filter(
      (row) => row.collection === collection && row.subject === subject,
    );
    return Promise.resolve(
      rows.map(({ key, embedding, box, model }) => ({ key, embedding, box, model })),
    );
  }
  findMetadata(): Promise<null> {
    return Promise.resolve(null);
  }
  readImage(collection: string, key: string): Promise<StoredImage | null> {
    const row = this.find(collection, key);
    return Promise.resolve(
      row ? { contentType: row.contentType, filename: row.filename, bytes: row.image } : null,
    );
  }
  list(collection: string): Promise<ReferencePage> {
    if (this.failWith) return Promise.reject(this.failWith);
    const items = this.rows
      .filter((row) => row.collection === collection)
      .map(({ key, filename, subject }) => ({ key, filename, subject }));
    return Promise.resolve({ total: items.length, items });
  }
  delete(collection: string, key: string): Promise<number | null> {
    const row = this.find(collection, key);
    this.rows = this.rows.filter((candidate) => candidate !== row);
    return Promise.resolve(row?.id ?? null);
  }
  count(): Promise<number> {
    return Promise.resolve(this.rows.length);
  }
  countByCollection(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const { collection } of this.rows)
      counts.set(collection, (counts.get(collection) ?? 0) + 1);
    return Promise.resolve(counts);
  }
  subjects(): Promise<SubjectCount[]> {
    return Promise.resolve([]);
  }
  replaceEmbedding(
    collection: string,
    key: string,
    from: string,
    replacement: { embedding: Float32Array; box: FaceBox; model: string },
  ): Promise<boolean> {
    const row = this.find(collection, key);
    if (!row || row.model !== from) return Promise.resolve(false);
    Object.assign(row, replacement);
    return Promise.resolve(true);
  }
  modelsAfter(afterId: number, limit: number): Promise<ReferenceModel[]> {
    const after = this.rows.filter((row) => row.id > afterId).slice(0, limit);
    return Promise.resolve(
      after.map(({ id, collection, key, model }) => ({ id, collection, key, model })),
    );
  }
  private find(collection: string, key: string): Row | undefined {
    return this.rows.find((row) => row.collection === collection && row.key === key);
  }
}
