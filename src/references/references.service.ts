import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  DatabaseUnavailableError,
  DomainError,
  InvalidFileExtensionError,
  InvalidImageError,
  InvalidReferenceKeyError,
  isDatabaseUnavailable,
  ModelMismatchError,
  MultipleFacesError,
  NoFaceDetectedError,
  OperationFailedError,
  ReferenceNotFoundError,
} from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import { cosineDistance } from '../face-engine/cosine-distance.js';
import { FaceEngine } from '../face-engine/face-engine.service.js';
import type { DetectedFace, FaceBox } from '../face-engine/face-engine.types.js';
import { sniffImageType, type AcceptedImageType } from './image-type.js';
import {
  ReferenceStore,
  type ReferenceListItem,
  type ReferenceMetadata,
  type StoredImage,
} from './reference-store.js';

export interface UploadedImage {
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export interface FacialArea {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface VerificationResult {
  verified: boolean;
  distance: number;
  threshold: number;
  model: string;
  detector_backend: string;
  similarity_metric: 'cosine';
  facial_areas: { img1: FacialArea; img2: FacialArea };
  time: number;
}

const IMAGE_EXTENSION = /\.(jpe?g|png)$/i;
const REFERENCE_KEY = /^[A-Za-z0-9]+$/;
/** Keys are 32 hex characters; anything longer cannot name a stored reference. */
const MAX_KEY_LENGTH = 64;

/** Runs `work`, letting domain errors through and wrapping anything else with the operation. */
async function as<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    if (isDatabaseUnavailable(error)) throw new DatabaseUnavailableError(error);
    throw new OperationFailedError(operation, error);
  }
}

function facialArea(box: FaceBox): FacialArea {
  return { x: box.x, y: box.y, w: box.width, h: box.height };
}

/** Enrols, compares, lists and deletes reference faces: the logic behind the four endpoints. */
@Injectable()
export class ReferencesService {
  constructor(
    private readonly engine: FaceEngine,
    private readonly store: ReferenceStore,
    private readonly config: AppConfig,
  ) {}

  /**
   * `signal` aborts when the client has gone: the analysis is not started, or its result not
   * stored (an analysis already running finishes; stopping it would cost its worker thread).
   */
  async upload(image: UploadedImage, signal?: AbortSignal): Promise<{ key: string }> {
    assertImageExtension(image.filename);
    const contentType = await imageTypeOf(image.bytes);
    return as('Error processing image', async () => {
      signal?.throwIfAborted();
      const face = await this.findOneFace(image.bytes);
      const key = randomUUID().replaceAll('-', '');
      await this.store.insert(
        {
          key,
          filename: image.filename,
          contentType,
          image: image.bytes,
          embedding: face.embedding,
          box: face.box,
          model: this.engine.model,
        },
        signal,
      );
      return { key };
    });
  }

  async compare(image: UploadedImage, referenceKey: string): Promise<VerificationResult> {
    assertImageExtension(image.filename);
    if (!REFERENCE_KEY.test(referenceKey)) {
      throw new InvalidReferenceKeyError(referenceKey, 'Reference key must be alphanumeric');
    }
    await imageTypeOf(image.bytes);
    return as('Error processing image', async () => {
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
  async verify(first: UploadedImage, second: UploadedImage): Promise<VerificationResult> {
    assertImageExtension(first.filename);
    assertImageExtension(second.filename);
    await imageTypeOf(first.bytes);
    await imageTypeOf(second.bytes);
    return as('Error processing image', async () => {
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
  ): VerificationResult {
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
      detector_backend: 'ssd_mobilenetv1',
      similarity_metric: 'cosine',
      facial_areas: { img1: facialArea(closest.a.box), img2: facialArea(closest.b.box) },
      time: Math.round(performance.now() - started) / 1000,
    };
  }

  async list(): Promise<ReferenceListItem[]> {
    return as('Error listing embeddings', () => this.store.list());
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
    await this.stored(key, 'Error deleting embedding', async () =>
      (await this.store.delete(key)) ? true : null,
    );
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
    return as(operation, async () => {
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

/** The type the bytes really are; anything but JPEG or PNG is refused before it is decoded. */
async function imageTypeOf(bytes: Buffer): Promise<AcceptedImageType> {
  const type = await sniffImageType(bytes);
  if (!type) throw new InvalidImageError('Invalid image file');
  return type;
}

function assertImageExtension(filename: string): void {
  if (!IMAGE_EXTENSION.test(filename)) throw new InvalidFileExtensionError(filename);
}
