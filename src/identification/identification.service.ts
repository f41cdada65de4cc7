import { Injectable } from '@nestjs/common';
import { NoFaceDetectedError } from '../common/errors.js';
import { asOperation } from '../common/operation.js';
import { AppConfig } from '../config/app-config.js';
import type { OperatingPoint } from '../common/operating-point.js';
import {
  Calibration,
  cohortFalsePositiveRate,
  type SearchOperatingPoint,
} from '../face-engine/calibration.js';
import { FaceAnalyser } from '../face-engine/face-analyser.js';
import {
  cohortDistanceThreshold,
  cohortMean,
  cohortScore,
  type CohortRule,
} from '../face-engine/cohort-rule.js';
import { isMatch, judge } from '../face-engine/match-rule.js';
import { DEFAULT_PERSON_RULE, personDistance } from '../face-engine/person-rule.js';
import type { FaceBox } from '../face-engine/face-engine.types.js';
import type { UploadedImage } from '../common/photo-form.js';
import { SubjectsService } from '../subjects/subjects.service.js';
import { ReferenceIndex } from './reference-index.js';

export interface IdentityMatch {
  key: string;
  filename: string;
  subject: string | null;
  distance: number;
  verified: boolean;
  /** The share of different people's pairs at least this close, where the model is calibrated. */
  far?: number;
  /** The chance that a stranger's search of this gallery finds a match at least this close. */
  fpir?: number;
}

/** A person found for a face: a subject, or a reference without one as a person of its own. */
export interface PersonMatch {
  /** Null for a reference without a subject; `key` names it then. */
  subject: string | null;
  key?: string;
  /** The person's references combined by the person-level rule. */
  distance: number;
  /** This person's threshold: it depends on how many references they have. */
  threshold: number;
  verified: boolean;
  far?: number;
  fpir?: number;
  referencesUsed: number;
  metadata: PersonMetadata;
}

/** What an operator stored about a person (`PUT /subjects/{subject}`); empty when nothing is. */
export type PersonMetadata = Record<string, string | number | boolean>;

export interface IdentifiedFace {
  box: FaceBox;
  /** By reference; absent when grouped by person. */
  matches?: IdentityMatch[];
  /** By person, with `groupBy: 'subject'`. */
  subjects?: PersonMatch[];
}

export interface Identification {
  faces: IdentifiedFace[];
  threshold: number;
  /** The false positive identification rate the threshold was chosen for; null when given. */
  targetFpir: number | null;
  model: string;
  referencesSearched: number;
  /** People searched, when grouped by person. */
  peopleSearched?: number;
  /** Faces found but not searched for (over MAX_FACES_PER_IDENTIFY, the smallest). */
  facesSkipped: number;
  seconds: number;
}

export interface IdentifyOptions extends OperatingPoint {
  limit: number;
  /** `subject`: each person once, all their references combined, instead of each reference. */
  groupBy?: 'subject';
}

/** 1:N: who, among the stored references, is each face in a photo. */
@Injectable()
export class IdentificationService {
  constructor(
    private readonly engine: FaceAnalyser,
    private readonly index: ReferenceIndex,
    private readonly calibration: Calibration,
    private readonly config: AppConfig,
    private readonly subjects: SubjectsService,
  ) {}

  /** Searches only `collection`: its references, and a threshold for its size. */
  async identify(
    collection: string,
    image: UploadedImage,
    options: IdentifyOptions,
  ): Promise<Identification> {
    const { IDENTIFY_TARGET_FPIR, FACE_MATCH_THRESHOLD } = this.config.env;
    // Refused before any work; the threshold itself is chosen for the gallery as the search runs.
    this.calibration.check(options);
    return asOperation('Error processing image', async () => {
      const started = performance.now();
      const { faces, detected } = await this.engine.analyze(image.bytes, {
        kind: 'largest',
        max: this.config.env.MAX_FACES_PER_IDENTIFY,
      });
      if (faces.length === 0) throw new NoFaceDetectedError();
      const searched = this.index.sizeOf(collection);
      const people = options.groupBy === 'subject' ? this.index.people(collection) : undefined;
      // By person, the calibrated cohort rule's score threshold where the model has one.
      const cohortPoint =
        people &&
        this.calibration.cohortSearchThreshold(options, people.size, IDENTIFY_TARGET_FPIR);
      const { threshold, targetFpir } = people
        ? (cohortPoint ?? this.personPoint(options, people.size, 1))
        : this.calibration.searchThreshold(
            options,
            searched,
            IDENTIFY_TARGET_FPIR,
            FACE_MATCH_THRESHOLD,
          );
      const identified: IdentifiedFace[] = [];
      // Left to right: a stable order a client can match to the photo (rows are ambiguous in groups).
      const leftToRight = [...faces].sort((a, b) => a.box.x - b.box.x);
      for (const face of leftToRight) {
        identified.push(
          people
            ? {
                box: face.box,
                subjects: this.nearestPeople(face.embedding, people, options, cohortPoint),
              }
            : {
                box: face.box,
                matches: this.index
                  .nearest(collection, face.embedding, options.limit)
                  .map(({ entry, distance }) => ({
                    key: entry.key,
                    filename: entry.filename,
                    subject: entry.subject,
                    distance,
                    ...judge(distance, threshold, this.calibration),
                    fpir: this.calibration.searchFalsePositiveRate(distance, searched),
                  })),
              },
        );
        // A search over a large index takes milliseconds: let other requests in between faces.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (people) await this.withMetadata(collection, identified);
      return {
        faces: identified,
        threshold,
        targetFpir,
        model: this.engine.model,
        referencesSearched: searched,
        ...(people ? { peopleSearched: people.size } : {}),
        facesSkipped: detected - faces.length,
        seconds: Math.round(performance.now() - started) / 1000,
      };
    });
  }

  /** The operating point for a person with `references` references among `people` searched. */
  private personPoint(
    options: IdentifyOptions,
    people: number,
    references: number,
  ): SearchOperatingPoint {
    const { IDENTIFY_TARGET_FPIR, FACE_MATCH_THRESHOLD } = this.config.env;
    return this.calibration.personSearchThreshold(
      options,
      people,
      references,
      IDENTIFY_TARGET_FPIR,
      FACE_MATCH_THRESHOLD,
    );
  }

  /**
   * The people nearest to `embedding`, each once, their references combined by the person-level
   * rule: the `limit` nearest, and beyond them every other person within their threshold, so that
   * a look-alike who also matches is never cut off. Under the cohort rule (`cohortPoint`) each
   * person's threshold is the distance the score threshold stands for with this face's cohort.
   */
  private nearestPeople(
    embedding: Float32Array,
    people: ReturnType<ReferenceIndex['people']>,
    options: IdentifyOptions,
    cohortPoint: SearchOperatingPoint | undefined,
  ): PersonMatch[] {
    const rule = this.calibration.person()?.rule ?? DEFAULT_PERSON_RULE;
    const ranked = [...people.values()]
      .map((group) => ({ group, distance: personDistance(embedding, group.vectors, rule) }))
      .sort((a, b) => a.distance - b.distance);
    const search = cohortPoint && this.calibration.search();
    const mean =
      search &&
      cohortMean(
        ranked.slice(0, search.cohort).map(({ distance }) => distance),
        search.cohort,
      );
    const points = new Map<number, SearchOperatingPoint>();
    const pointFor = (references: number) => {
      const bucket = Math.min(references, 3);
      let point = points.get(bucket);
      if (!point) {
        point =
          search && mean !== undefined
            ? this.cohortPersonPoint(cohortPoint, options, mean, search, bucket)
            : this.personPoint(options, people.size, bucket);
        points.set(bucket, point);
      }
      return point;
    };
    const fpirOf = (distance: number, references: number) =>
      search && mean !== undefined
        ? cohortFalsePositiveRate(search, cohortScore(distance, mean, search), people.size)
        : this.calibration.personSearchFalsePositiveRate(distance, people.size, references);
    return ranked
      .map(({ group, distance }) => ({ group, distance, point: pointFor(group.entries.length) }))
      .filter(
        ({ distance, point }, rank) => rank < options.limit || isMatch(distance, point.threshold),
      )
      .map(({ group, distance, point }) => {
        const [{ subject, key }] = group.entries;
        const references = group.entries.length;
        return {
          subject,
          ...(subject === null ? { key } : {}),
          distance,
          threshold: point.threshold,
          ...judge(distance, point.threshold, this.calibration, references),
          fpir: fpirOf(distance, references),
          referencesUsed: references,
          // Filled in for every face at once (withMetadata): one read of the store per search.
          metadata: {},
        };
      });
  }

  /**
   * The distance threshold of a person with `references` references under the cohort rule, for
   * a face whose cohort mean is `mean`: by default never looser than that person's verification
   * default, so a small gallery's search is no laxer than verifying the person.
   */
  private cohortPersonPoint(
    point: SearchOperatingPoint,
    options: IdentifyOptions,
    mean: number,
    rule: CohortRule,
    references: number,
  ): SearchOperatingPoint {
    // Rounded down: a threshold that reads well must not let more strangers through.
    const derived = Math.floor(cohortDistanceThreshold(point.threshold, mean, rule) * 1e5) / 1e5;
    const threshold =
      options.security === undefined
        ? Math.min(
            derived,
            this.calibration.personThreshold({}, references, this.config.env.FACE_MATCH_THRESHOLD),
          )
        : derived;
    return { threshold, targetFpir: point.targetFpir };
  }

  /** Each person found carries what is stored about them (`PUT /subjects/{subject}`). */
  private async withMetadata(collection: string, faces: IdentifiedFace[]): Promise<void> {
    const found = faces.flatMap(({ subjects }) => subjects ?? []);
    const named = found.flatMap(({ subject }) => (subject === null ? [] : [subject]));
    const metadata = await this.subjects.metadataOf(collection, named);
    for (const person of found) {
      if (person.subject !== null) person.metadata = metadata.get(person.subject) ?? {};
    }
  }
}
