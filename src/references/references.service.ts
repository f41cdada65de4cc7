import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  FilenameTooLongError,
  PoorEnrolmentError,
  InvalidReferenceKeyError,
  ModelMismatchError,
  MultipleFacesError,
  NoFaceDetectedError,
  ReferenceNotFoundError,
  SubjectNotFoundError,
} from '../common/errors.js';
import { asOperation } from '../common/operation.js';
import { AppConfig } from '../config/app-config.js';
import { cosineDistance } from '../face-engine/cosine-distance.js';
import type { OperatingPoint } from '../common/operating-point.js';
import { Calibration } from '../face-engine/calibration.js';
import { FaceAnalyser } from '../face-engine/face-analyser.js';
import { judge } from '../face-engine/match-rule.js';
import { DEFAULT_PERSON_RULE, personDistance } from '../face-engine/person-rule.js';
import type { FaceBox } from '../common/face-box.js';
import type { DetectedFace, FaceAnalysis, FaceQuality } from '../face-engine/face-engine.types.js';
import type { MultiFacePolicy } from '../face-engine/face-selection.js';
import type { UploadedImage } from '../common/photo-form.js';
import type { PersonVerdict, ProbeFaces, Verdict } from './verdict.js';
import {
  FILENAME_MAX_LENGTH,
  ReferenceStore,
  type ReferenceMetadata,
  type ReferencePage,
  type ReferencePageRequest,
  type StoredImage,
  type SubjectCount,
  SUBJECT_MAX_LENGTH,
} from '../store/reference-store.js';

export interface EnrolOptions {
  subject?: string | null;
  /** MULTI_FACE_POLICY when undefined. */
  multiFacePolicy?: MultiFacePolicy;
  /**
   * Told the enrolment just before it is stored: an idempotent request names its answer here, so
   * that the answer commits with the reference.
   */
  beforeStore?: (enrolment: Enrolment) => void;
}

/** A new reference: its key, and the face enrolled among those found. */
export interface Enrolment {
  key: string;
  box: FaceBox;
  facesDetected: number;
  quality: FaceQuality;
}

/** How a compare or verify chooses its faces, and the operating point it judges them by. */
export interface CompareOptions extends OperatingPoint {
  /** `subject` when undefined. */
  probeFaces?: ProbeFaces;
}

/** Faces found but not embedded: the others beside the subject, or those over MAX_FACES_PER_IMAGE. */
const skipped = ({ detected, faces }: FaceAnalysis) => detected - faces.length;

const REFERENCE_KEY = /^[A-Za-z0-9]+$/;
/** Keys are 32 hex characters; anything longer cannot name a stored reference. */
const MAX_KEY_LENGTH = 64;

/** Enrols, compares, lists and deletes reference faces: the logic behind the four endpoints. */
@Injectable()
export class ReferencesService {
  constructor(
    private readonly engine: FaceAnalyser,
    private readonly store: ReferenceStore,
    private readonly calibration: Calibration,
    private readonly config: AppConfig,
  ) {}

  /**
   * Enrols the one face in the photo, under a new key and optionally a subject. `signal` aborts
   * when the client has gone: the analysis is not started, or its result not stored (an analysis
   * already running finishes; stopping it would cost its worker thread).
   */
  async upload(
    collection: string,
    image: UploadedImage,
    { subject = null, multiFacePolicy, beforeStore }: EnrolOptions = {},
    signal?: AbortSignal,
  ): Promise<Enrolment> {
    // Code points, as the database counts them; refused before the analysis it would waste.
    if ([...image.filename].length > FILENAME_MAX_LENGTH) {
      throw new FilenameTooLongError(FILENAME_MAX_LENGTH);
    }
    return asOperation('Error processing image', async () => {
      signal?.throwIfAborted();
      const { face, detected } = await this.findSubject(
        image.bytes,
        multiFacePolicy ?? this.config.env.MULTI_FACE_POLICY,
      );
      const key = randomUUID().replaceAll('-', '');
      const { filename, contentType } = image;
      const { embedding, box } = face;
      const model = this.engine.model;
      const quality = { score: face.score, ...face.quality };
      const enrolment = { key, box, facesDetected: detected, quality: face.quality };
      beforeStore?.(enrolment);
      await this.store.insert(
        collection,
        { key, filename, subject, contentType, image: image.bytes, embedding, box, quality, model },
        signal,
      );
      return enrolment;
    });
  }

  /**
   * The stored face against the new photo's: the face the photo is about, so that a face in the
   * background or printed on a shirt cannot stand in for the person (`probeFaces`).
   */
  async compare(
    collection: string,
    image: UploadedImage,
    referenceKey: string,
    { probeFaces = 'subject', ...operatingPoint }: CompareOptions = {},
  ): Promise<Verdict> {
    if (!REFERENCE_KEY.test(referenceKey)) {
      throw new InvalidReferenceKeyError(referenceKey, 'field');
    }
    const threshold = this.calibration.threshold(
      operatingPoint,
      this.config.env.FACE_MATCH_THRESHOLD,
    );
    return asOperation('Error processing image', async () => {
      const started = performance.now();
      const reference =
        referenceKey.length <= MAX_KEY_LENGTH
          ? await this.store.findEmbedding(collection, referenceKey)
          : null;
      if (!reference) {
        throw new ReferenceNotFoundError(referenceKey, 'image');
      }
      if (reference.model !== this.engine.model) {
        throw new ModelMismatchError(referenceKey, reference.model, this.engine.model);
      }
      const probe = await this.facesToCompare(image.bytes, probeFaces);
      return this.verdict([reference], probe.faces, {
        started,
        threshold,
        skipped: skipped(probe),
      });
    });
  }

  /** Two photos, nothing stored: the same verdict as a compare, each photo's faces chosen alike. */
  async verify(
    first: UploadedImage,
    second: UploadedImage,
    { probeFaces = 'subject', ...operatingPoint }: CompareOptions = {},
  ): Promise<Verdict> {
    const threshold = this.calibration.threshold(
      operatingPoint,
      this.config.env.FACE_MATCH_THRESHOLD,
    );
    return asOperation('Error processing image', async () => {
      const started = performance.now();
      const [one, two] = await Promise.all([
        this.facesToCompare(first.bytes, probeFaces),
        this.facesToCompare(second.bytes, probeFaces),
      ]);
      return this.verdict(one.faces, two.faces, {
        started,
        threshold,
        skipped: skipped(one) + skipped(two),
      });
    });
  }

  /**
   * The face the photo is about (as `compare` chooses it) against a person: every reference of
   * `subject`, combined by the rule models/calibration.json was measured for, and judged by the
   * false accept rate of that rule at that number of references, not by the pair table's (the
   * closest of three photos lets more strangers through than one photo at the same distance).
   */
  async verifySubject(
    collection: string,
    image: UploadedImage,
    subject: string,
    operatingPoint: OperatingPoint = {},
  ): Promise<PersonVerdict> {
    // A bad choice is refused before anything is read, as compare refuses it.
    this.calibration.check(operatingPoint);
    return asOperation('Error processing image', async () => {
      const started = performance.now();
      // Longer than any stored subject: nobody to look up.
      const references =
        [...subject].length <= SUBJECT_MAX_LENGTH
          ? await this.store.findSubjectEmbeddings(collection, subject)
          : [];
      if (references.length === 0) throw new SubjectNotFoundError(subject);
      const stale = references.find((reference) => reference.model !== this.engine.model);
      if (stale) throw new ModelMismatchError(stale.key, stale.model, this.engine.model);
      const used = references.length;
      const threshold = this.calibration.personThreshold(
        operatingPoint,
        used,
        this.config.env.FACE_MATCH_THRESHOLD,
      );
      const probe = await this.facesToCompare(image.bytes, 'subject');
      const rule = this.calibration.person()?.rule ?? DEFAULT_PERSON_RULE;
      const embeddings = references.map((reference) => reference.embedding);
      // Where no face is clearly the subject (a group), the closest of the largest faces decides,
      // as in compare.
      const [closest] = probe.faces
        .map((face) => ({ face, distance: personDistance(face.embedding, embeddings, rule) }))
        .sort((a, b) => a.distance - b.distance);
      // The reference shown beside the probe's face: the nearest one, whatever the rule.
      const [nearest] = references
        .map((reference) => ({
          reference,
          distance: cosineDistance(reference.embedding, closest.face.embedding),
        }))
        .sort((a, b) => a.distance - b.distance);
      return {
        ...this.judged(closest.distance, [nearest.reference.box, closest.face.box], {
          started,
          threshold,
          skipped: skipped(probe),
          references: used,
        }),
        referencesUsed: used,
      };
    });
  }

  /**
   * Every pair of the faces chosen is compared and the closest decides, as DeepFace's verify does;
   * where a photo's subject was found, it is that photo's only face.
   */
  private verdict(
    first: Pick<DetectedFace, 'box' | 'embedding'>[],
    second: Pick<DetectedFace, 'box' | 'embedding'>[],
    { started, threshold, skipped }: { started: number; threshold: number; skipped: number },
  ): Verdict {
    const [closest] = first
      .flatMap((a) =>
        second.map((b) => ({ a, b, distance: cosineDistance(a.embedding, b.embedding) })),
      )
      .sort((x, y) => x.distance - y.distance);
    return this.judged(closest.distance, [closest.a.box, closest.b.box], {
      started,
      threshold,
      skipped,
    });
  }

  /**
   * The verdict on the faces that decided, at `distance`: a pair's, or a person's with
   * `references` references combined.
   */
  private judged(
    distance: number,
    faces: [FaceBox, FaceBox],
    options: { started: number; threshold: number; skipped: number; references?: number },
  ): Verdict {
    const { verified, far } = judge(
      distance,
      options.threshold,
      this.calibration,
      options.references,
    );
    return {
      verified,
      distance,
      threshold: options.threshold,
      model: this.engine.model,
      falseAcceptRate: far,
      faces,
      facesSkipped: options.skipped,
      seconds: Math.round(performance.now() - options.started) / 1000,
    };
  }

  /** References oldest first; all of them unless a page is asked for. */
  async list(
    collection: string,
    page: ReferencePageRequest = { offset: 0 },
  ): Promise<ReferencePage> {
    return asOperation('Error listing embeddings', () => this.store.list(collection, page));
  }

  async subjects(collection: string): Promise<SubjectCount[]> {
    return asOperation('Error listing subjects', () => this.store.subjects(collection));
  }

  /** What is stored about a reference, without its bytes or embedding. */
  async describe(collection: string, key: string): Promise<ReferenceMetadata> {
    return this.stored(key, 'Error reading reference', () =>
      this.store.findMetadata(collection, key),
    );
  }

  /** The uploaded bytes, as stored. */
  async image(collection: string, key: string): Promise<StoredImage> {
    return this.stored(key, 'Error reading reference', () => this.store.readImage(collection, key));
  }

  async delete(collection: string, key: string): Promise<void> {
    await this.stored(key, 'Error deleting embedding', () => this.store.delete(collection, key));
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
    if (!REFERENCE_KEY.test(key)) throw new InvalidReferenceKeyError(key, 'path');
    return asOperation(operation, async () => {
      const found = key.length <= MAX_KEY_LENGTH ? await read() : null;
      if (found === null) {
        throw new ReferenceNotFoundError(key, 'embedding');
      }
      return found;
    });
  }

  /**
   * The face to enrol: the only one in the photo, or the one it is about (MULTI_FACE_POLICY);
   * only that face is embedded.
   */
  private async findSubject(
    bytes: Buffer,
    policy: MultiFacePolicy,
  ): Promise<{ face: DetectedFace; detected: number }> {
    const { faces, detected } = await this.engine.analyze(bytes, { kind: 'subject', policy });
    if (detected === 0) throw new NoFaceDetectedError();
    if (faces.length === 0) throw new MultipleFacesError(detected);
    this.assertEnrollable(faces[0].quality);
    return { face: faces[0], detected };
  }

  /**
   * Refuses a face too small or too blurred to judge later photos against, where the operator
   * set a floor (ENROL_MIN_INTER_OCULAR, ENROL_MIN_SHARPNESS; both off by default).
   */
  private assertEnrollable({ interOcular, sharpness }: FaceQuality): void {
    const { ENROL_MIN_INTER_OCULAR, ENROL_MIN_SHARPNESS } = this.config.env;
    if (interOcular < ENROL_MIN_INTER_OCULAR) {
      throw new PoorEnrolmentError('inter-ocular', interOcular, ENROL_MIN_INTER_OCULAR);
    }
    if (sharpness < ENROL_MIN_SHARPNESS) {
      throw new PoorEnrolmentError('sharpness', sharpness, ENROL_MIN_SHARPNESS);
    }
  }

  /**
   * The faces of a photo to compare: the face it is about, by the rule enrolment uses under
   * `dominant` whatever MULTI_FACE_POLICY says (a stricter enrolment policy must not make a
   * compare laxer); where no face clearly is, or with `all`, its faces up to
   * MAX_FACES_PER_IMAGE, the largest first.
   */
  private async facesToCompare(bytes: Buffer, probeFaces: ProbeFaces): Promise<FaceAnalysis> {
    const max = this.config.env.MAX_FACES_PER_IMAGE;
    const analysis = await this.engine.analyze(
      bytes,
      probeFaces === 'all' ? { kind: 'largest', max } : { kind: 'subjectOrLargest', max },
    );
    if (analysis.faces.length === 0) throw new NoFaceDetectedError();
    return analysis;
  }
}
