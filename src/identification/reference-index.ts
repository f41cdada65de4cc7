import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { describeCause } from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import { FaceAnalyser } from '../face-engine/face-analyser.js';
import { embeddingDimension } from '../face-engine/face-models.js';
import {
  ReferenceChangeFeed,
  type CommittedChange,
  type IndexedReference,
  type ReferenceChange,
} from '../store/reference-change-feed.js';
import { EmbeddingMatrix, type MatrixGroup, type Neighbour } from './embedding-matrix.js';

/** Change log entries read per query while catching up. */
const CHANGE_BATCH = 5_000;
/**
 * How long after its id was taken a change can still become visible: ids are taken at insert
 * time, so a slow transaction can commit after a later one has been read. Changes this recent are
 * read again on every refresh; applying a change twice does nothing.
 */
const SETTLE_MS = 60_000;
/** Change log entries older than this are dropped; a replica that was away longer reloads. */
const CHANGE_RETENTION_MS = 24 * 3600_000;
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * The in-memory index that `/identify` searches: every reference made by the running model, as
 * unit vectors, one partition per collection (a search never reads another's rows). Loaded at start; this replica's own uploads and deletes apply at once, other
 * replicas' within INDEX_REFRESH_MS, by reading the change log past a watermark.
 */
@Injectable()
export class ReferenceIndex implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReferenceIndex.name);
  private readonly partitions = new Map<string, EmbeddingMatrix>();
  /** The partition each indexed reference is in: a delete carries its id only. */
  private readonly partitionOf = new Map<number, string>();
  /** The running model's embedding length: every partition's rows. */
  private readonly dimension: number;
  /** References of another model: never searched, remembered so they are not fetched again. */
  private readonly otherModel = new Set<number>();
  /** Change log ids applied lately, with when: the recent ones are read again on every refresh. */
  private readonly applied = new Map<number, number>();
  /** Highest change log id read. */
  private watermark = 0;
  private lastRefreshed = 0;
  private lastPruned = 0;
  private refreshFailing = false;
  private timer?: NodeJS.Timeout;
  private refreshing?: Promise<void>;

  constructor(
    private readonly feed: ReferenceChangeFeed,
    private readonly engine: FaceAnalyser,
    private readonly config: AppConfig,
  ) {
    this.dimension = embeddingDimension(config.env.FACE_MODEL);
    feed.onCommitted((change) => this.applyCommitted(change));
  }

  async onApplicationBootstrap(): Promise<void> {
    const started = performance.now();
    await this.reload();
    this.logger.log(
      `Identification index loaded: ${this.size} reference(s) in ${this.partitions.size} ` +
        'collection(s)' +
        (this.otherModel.size > 0 ? `, ${this.otherModel.size} of another model left out` : '') +
        ` in ${Math.round(performance.now() - started)} ms`,
    );
    this.schedule();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** References indexed, in every collection. */
  get size(): number {
    return this.partitionOf.size;
  }

  /** References `nearest` searches in `collection`. */
  sizeOf(collection: string): number {
    return this.partitions.get(collection)?.size ?? 0;
  }

  /** The `limit` references of `collection` closest to `embedding`, closest first. */
  nearest(collection: string, embedding: Float32Array, limit: number): Neighbour[] {
    return this.partitions.get(collection)?.nearest(embedding, limit) ?? [];
  }

  /**
   * Every reference of `collection`, by person: its subject, or for a reference without one the
   * reference itself (keyed `key:<key>`, which no subject can collide with as a map key here).
   */
  people(collection: string): Map<string, MatrixGroup> {
    const matrix = this.partitions.get(collection);
    if (!matrix) return new Map();
    return matrix.groups((entry) =>
      entry.subject === null ? `key:${entry.key}` : `subject:${entry.subject}`,
    );
  }

  /** A change this replica has just committed: applied at once, not at the next refresh. */
  private applyCommitted(change: CommittedChange): void {
    if (change.kind === 'stored') this.put(change.reference);
    else this.removed(change.referenceId);
  }

  private removed(id: number): void {
    const collection = this.partitionOf.get(id);
    if (collection !== undefined) {
      const matrix = this.partitions.get(collection);
      matrix?.remove(id);
      // An erased collection leaves no empty partition behind.
      if (matrix?.size === 0) this.partitions.delete(collection);
      this.partitionOf.delete(id);
    }
    this.otherModel.delete(id);
  }

  /**
   * Reads the changes other replicas made since the last refresh and applies them. Concurrent
   * callers share one refresh.
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.catchUp().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.refresh()
        .then(
          () => {
            if (this.refreshFailing) this.logger.log('Identification index refresh works again');
            this.refreshFailing = false;
          },
          (error: unknown) => {
            // Logged once per outage; the index keeps answering from what it has.
            if (!this.refreshFailing) {
              this.logger.warn(`Identification index refresh failed: ${describeCause(error)}`);
            }
            this.refreshFailing = true;
          },
        )
        .finally(() => {
          if (this.timer) this.schedule();
        });
    }, this.config.env.INDEX_REFRESH_MS);
    this.timer.unref();
  }

  private async catchUp(): Promise<void> {
    const now = Date.now();
    if (now - this.lastRefreshed > CHANGE_RETENTION_MS / 2) {
      // Changes may have been pruned while this replica was not reading them.
      await this.reload();
      return;
    }
    const settled = new Date(now - SETTLE_MS);
    const recent = await this.feed.changesCreatedSince(settled, CHANGE_BATCH);
    const changes: ReferenceChange[] = [...recent];
    let batch: ReferenceChange[];
    do {
      batch = await this.feed.changesSince(this.watermark, CHANGE_BATCH);
      changes.push(...batch);
      if (batch.length > 0) this.watermark = batch[batch.length - 1].id;
    } while (batch.length === CHANGE_BATCH);
    await this.apply(changes, now);
    this.lastRefreshed = now;
    if (now - this.lastPruned > PRUNE_EVERY_MS) {
      this.lastPruned = now;
      const pruned = await this.feed.pruneChanges(new Date(now - CHANGE_RETENTION_MS));
      if (pruned > 0) this.logger.log(`Pruned ${pruned} change log entries`);
    }
  }

  /**
   * Applies the changes not applied yet: a delete drops the reference, an insert or a
   * replacement (re-embedding) reads it anew. Changes are re-read for a while after they were
   * written, so applied ones are remembered for as long.
   */
  private async apply(changes: ReferenceChange[], now: number): Promise<void> {
    for (const [id, seen] of this.applied) if (now - seen > 2 * SETTLE_MS) this.applied.delete(id);
    const fresh = changes.filter((change) => !this.applied.has(change.id));
    const deleted = new Set(fresh.filter((c) => c.kind === 'delete').map((c) => c.referenceId));
    for (const id of deleted) this.removed(id);
    const written = fresh
      .filter((c) => c.kind === 'insert' && !deleted.has(c.referenceId))
      .map((c) => c.referenceId);
    for (const reference of await this.feed.findIndexed([...new Set(written)])) {
      this.put(reference);
    }
    for (const change of fresh) this.applied.set(change.id, now);
  }

  private async reload(): Promise<void> {
    const snapshot = await this.feed.snapshot();
    this.partitions.clear();
    this.partitionOf.clear();
    this.otherModel.clear();
    for (const reference of snapshot.references) this.put(reference);
    this.watermark = snapshot.watermark;
    this.lastRefreshed = Date.now();
  }

  private put(reference: IndexedReference): void {
    // A re-embedded reference may move between the running model and another.
    this.removed(reference.id);
    if (reference.model === this.engine.model) {
      const { id, collection, key, filename, subject } = reference;
      let matrix = this.partitions.get(collection);
      if (!matrix) this.partitions.set(collection, (matrix = new EmbeddingMatrix(this.dimension)));
      matrix.add({ id, key, filename, subject }, reference.embedding);
      this.partitionOf.set(id, collection);
    } else {
      this.otherModel.add(reference.id);
    }
  }
}
