import { Injectable } from '@nestjs/common';
import { NoFaceDetectedError } from '../common/errors.js';
import { asOperation } from '../common/operation.js';
import { AppConfig } from '../config/app-config.js';
import type { OperatingPoint } from '../common/operating-point.js';
import { Calibration } from '../face-engine/calibration.js';
import { FaceAnalyser } from '../face-engine/face-analyser.js';
import type { FaceBox } from '../face-engine/face-engine.types.js';
import type { UploadedImage } from '../common/photo-form.js';
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

export interface IdentifiedFace {
  box: FaceBox;
  matches: IdentityMatch[];
}

export interface Identification {
  faces: IdentifiedFace[];
  threshold: number;
  /** The false positive identification rate the threshold was chosen for; null when given. */
  targetFpir: number | null;
  model: string;
  referencesSearched: number;
  /** Faces found but not searched for (over MAX_FACES_PER_IDENTIFY, the smallest). */
  facesSkipped: number;
  seconds: number;
}

export interface IdentifyOptions extends OperatingPoint {
  limit: number;
}

/** 1:N: who, among the stored references, is each face in a photo. */
@Injectable()
export class IdentificationService {
  constructor(
    private readonly engine: FaceAnalyser,
    private readonly index: ReferenceIndex,
    private readonly calibration: Calibration,
    private readonly config: AppConfig,
  ) {}

  async identify(image: UploadedImage, options: IdentifyOptions): Promise<Identification> {
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
      const searched = this.index.size;
      const { threshold, targetFpir } = this.calibration.searchThreshold(
        options,
        searched,
        IDENTIFY_TARGET_FPIR,
        FACE_MATCH_THRESHOLD,
      );
      const identified: IdentifiedFace[] = [];
      // Left to right: a stable order a client can match to the photo (rows are ambiguous in groups).
      const leftToRight = [...faces].sort((a, b) => a.box.x - b.box.x);
      for (const face of leftToRight) {
        identified.push({
          box: face.box,
          matches: this.index.nearest(face.embedding, options.limit).map(({ entry, distance }) => ({
            key: entry.key,
            filename: entry.filename,
            subject: entry.subject,
            distance,
            verified: distance <= threshold,
            far: this.calibration.falseAcceptRate(distance),
            fpir: this.calibration.searchFalsePositiveRate(distance, searched),
          })),
        });
        // A search over a large index takes milliseconds: let other requests in between faces.
        await new Promise((resolve) => setImmediate(resolve));
      }
      return {
        faces: identified,
        threshold,
        targetFpir,
        model: this.engine.model,
        referencesSearched: searched,
        facesSkipped: detected - faces.length,
        seconds: Math.round(performance.now() - started) / 1000,
      };
    });
  }
}
