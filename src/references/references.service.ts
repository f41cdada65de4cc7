import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  FilenameTooLongError,
  InvalidReferenceKeyError,
  ModelMismatchError,
  MultipleFacesError,
  NoFaceDetectedError,
  ReferenceNotFoundError,
} from '../common/errors.js';
import { asOperation } from '../common/operation.js';
import { AppConfig } from '../config/app-config.js';
import { cosineDistance } from '../face-engine/cosine-distance.js';
import { FaceEngine } from '../face-engine/face-engine.service.js';
import type { DetectedFace } from '../face-engine/face-engine.types.js';
import type { UploadedImage } from '../common/photo-form.js';
import type { Verdict } from './verdict.js';
import {
  FILENAME_MAX_LENGTH,
  ReferenceStore,
  type ReferenceMetadata,
  type ReferencePage,
  type ReferencePageRequest,
  type StoredImage,
  type SubjectCount,
} from './reference-store.js';

const REFERENCE_KEY = /^[A-Za-z0-9]+$/;
/** Keys are 32 hex characters; anything longer cannot name a stored reference. */
const MAX_KEY_LENGTH = 64;

/** Enrols, compares, lists and deletes reference faces: the logic behind the four endpoints. */
@Injectable()
export class ReferencesService {
  constructor(
    private readonly engine: FaceEngine,
    private readonly store: ReferenceStore,
    private readonly config: AppConfig,
  ) {}

  /**
   * Enrols the one face in the photo, under a new key and optionally a subject. `signal` aborts
   * when the client has gone: the analysis is not started, or its result not stored (an analysis
   * already running finishes; stopping it would cost its worker thread).
   */
  async upload(
    image: UploadedImage,
    subject: string | null = null,
    signal?: AbortSignal,
  ): Promise<{ key: string }> {
    // Code points, as the database counts them; refused before the analysis it would waste.
    if ([...image.filename].length > FILENAME_MAX_LENGTH) {
      throw new FilenameTooLongError(FILENAME_MAX_LENGTH);
    }
    return asOperation('Error processing image', async () => {
      signal?.throwIfAborted();
      const face = await this.findOneFace(image.bytes);
      const key = randomUUID().replaceAll('-', '');
      const { filename, contentType } = image;
      const { embedding, box } = face;
      const model = this.engine.model;
      await this.store.insert(
        { key, filename, subject, contentType, image: image.bytes, embedding, box, model },
        signal,
      );
      return { key };
    });
  }

  async compare(image: UploadedImage, referenceKey: string): Promise<Verdict> {
    if (!REFERENCE_KEY.test(referenceKey)) {
      throw new InvalidReferenceKeyError(referenceKey, 'Reference key must be alphanumeric');
    }
    return asOperation('Error processing image', async () => {
      const started = performance.now();
      const reference =
        referenceKey.length <= MAX_KEY_LENGTH ? await this.store.findEmbedding(referenceKey) : null;
      if (!reference) {
        throw new ReferenceNotFoundError(
          referenceKey,
          `No reference image found with key: ${referenceKey}`,
        );
      }
      if (reference.model !== this.engine.model) {
        throw new ModelMismatchError(referenceKey, reference.model, this.engine.model);
      }
      const { faces } = await this.engine.analyze(image.bytes);
      if (faces.length === 0) throw new NoFaceDetectedError();
      return this.verdict([reference], faces, started);
    });
  }

  /** Two photos, nothing stored: the same verdict as a compare, over every pair of faces. */
  async verify(first: UploadedImage, second: UploadedImage): Promise<Verdict> {
    return asOperation('Error processing image', async () => {
      const started = performance.now();
      const [one, two] = await Promise.all([
        this.engine.analyze(first.bytes),
        this.engine.analyze(second.bytes),
      ]);
      if (one.faces.length === 0 || two.faces.length === 0) throw new NoFaceDetectedError();
      return this.verdict(one.faces, two.faces, started);
    });
  }

  /** As DeepFace's verify does: every pair of faces is compared and the closest pair decides. */
  private verdict(
    first: Pick<DetectedFace, 'box' | 'embedding'>[],
    second: Pick<DetectedFace, 'box' | 'embedding'>[],
    started: number,
  ): Verdict {
    const [closest] = first
      .flatMap((a) =>
        second.map((b) => ({ a, b, distance: cosineDistance(a.embedding, b.embedding) })),
      )
      .sort((x, y) => x.distance - y.distance);
    const threshold = this.config.env.FACE_MATCH_THRESHOLD;
    return {
      verified: closest.distance <= threshold,
      distance: closest.distance,
      threshold,
      model: this.engine.model,
      faces: [closest.a.box, closest.b.box],
      seconds: Math.round(performance.now() - started) / 1000,
    };
  }

  /** References oldest first; all of them unless a page is asked for. */
  async list(page: ReferencePageRequest = { offset: 0 }): Promise<ReferencePage> {
    return asOperation('Error listing embeddings', () => this.store.list(page));
  }

  async subjects(): Promise<SubjectCount[]> {
    return asOperation('Error listing subjects', () => this.store.subjects());
  }

  /** What is stored about a reference, without its bytes or embedding. */
  async describe(key: string): Promise<ReferenceMetadata> {
    return this.stored(key, 'Error reading reference', () => this.store.findMetadata(key));
  }

  /** The uploaded bytes, as stored. */
  async image(key: string): Promise<StoredImage> {
    return this.stored(key, 'Error reading reference', () => this.store.readImage(key));
  }

  async delete(key: string): Promise<void> {
    await this.stored(key, 'Error deleting embedding', () => this.store.delete(key));
  }

  /**
   * The shared path of the endpoints that name a reference in their URL: the key check (400),
   * the store call, and 404 when it finds nothing. Keys longer than any stored one are not looked up.
   */
  private async stored<T>(
    key: string,
    operation: string,
    read: () => Promise<T | null>,
  ): Promise<T> {
    if (!REFERENCE_KEY.test(key)) throw new InvalidReferenceKeyError(key, 'Invalid reference key');
    return asOperation(operation, async () => {
      const found = key.length <= MAX_KEY_LENGTH ? await read() : null;
      if (found === null) {
        throw new ReferenceNotFoundError(key, `No reference embedding found with key: ${key}`);
      }
      return found;
    });
  }

  /** The face to enrol: the only one in the photo. */
  private async findOneFace(bytes: Buffer): Promise<DetectedFace> {
    const { faces } = await this.engine.analyze(bytes);
    if (faces.length === 0) throw new NoFaceDetectedError();
    if (faces.length > 1) throw new MultipleFacesError(faces.length);
    return faces[0];
  }
}
