import { Injectable } from '@nestjs/common';
import { describeCause } from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import { FaceAnalyser } from '../face-engine/face-analyser.js';
import { ReembedStore, type ReferenceModel } from '../store/reference-store.js';

export interface ReembedCounts {
  /** References looked at. */
  scanned: number;
  /** Given a new embedding. */
  reembedded: number;
  /** Already made by this model and pipeline: left alone (unless `all`). */
  current: number;
  /** Photo unreadable, or not exactly one face found in it now: left as it is. */
  failed: number;
}

export interface ReembedOptions {
  /** Also the references this model already made (after changing FACE_DETECTOR_SIZE). */
  all?: boolean;
  batchSize?: number;
  log?: (line: string) => void;
}

type Outcome = Exclude<keyof ReembedCounts, 'scanned'> | 'gone';

/**
 * Computes the embedding of stored references again from their stored photos, with the models
 * and pipeline of this build. After an upgrade that changes the pipeline, references enrolled
 * before it answer 409 to compare until they are re-embedded; the photos are in the store, so
 * nobody has to upload them again.
 */
@Injectable()
export class ReembedService {
  constructor(
    private readonly store: ReembedStore,
    private readonly engine: FaceAnalyser,
    private readonly config: AppConfig,
  ) {}

  /** The model and pipeline new embeddings come from. */
  get model(): string {
    return this.engine.model;
  }

  /**
   * Re-embeds references `batchSize` ids at a time, as many at once as the engine has workers.
   * Each one is rewritten with an entry in the change log, so every replica's identification
   * index picks the new embedding up; a reference deleted or re-embedded meanwhile is left alone.
   * Running it twice changes nothing the second time.
   */
  async reembed({
    all = false,
    batchSize = 50,
    log = () => {},
  }: ReembedOptions = {}): Promise<ReembedCounts> {
    const counts: ReembedCounts = { scanned: 0, reembedded: 0, current: 0, failed: 0 };
    let after = 0;
    for (;;) {
      const batch = await this.store.modelsAfter(after, batchSize);
      if (batch.length === 0) break;
      const queue = [...batch];
      const next = async (): Promise<void> => {
        for (let reference = queue.shift(); reference; reference = queue.shift()) {
          const outcome = await this.reembedOne(reference, all, log);
          if (outcome === 'gone') continue;
          counts.scanned++;
          counts[outcome]++;
        }
      };
      await Promise.all(Array.from({ length: this.engine.workers }, next));
      after = batch[batch.length - 1].id;
      log(`${counts.scanned} references so far`);
    }
    return counts;
  }

  private async reembedOne(
    { collection, key, model }: ReferenceModel,
    all: boolean,
    log: (line: string) => void,
  ): Promise<Outcome> {
    if (!all && model === this.engine.model) return 'current';
    let faces;
    try {
      const image = await this.store.readImage(collection, key);
      if (!image) return 'gone';
      // The same face as at enrolment, by the same rule.
      ({ faces } = await this.engine.analyze(image.bytes, {
        kind: 'subject',
        policy: this.config.env.MULTI_FACE_POLICY,
      }));
    } catch (error) {
      log(`reference ${key}: ${describeCause(error)}; left as it is`);
      return 'failed';
    }
    if (faces.length !== 1) {
      log(`reference ${key}: no one face to enrol found in its photo now; left as it is`);
      return 'failed';
    }
    // Only if unchanged since it was read: not deleted, not re-embedded by another run.
    const [{ embedding, box }] = faces;
    const replaced = await this.store.replaceEmbedding(collection, key, model, {
      embedding,
      box,
      model: this.engine.model,
    });
    return replaced ? 'reembedded' : 'gone';
  }
}
