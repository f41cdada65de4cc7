import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { errorReplyRule } from '../common/error-replies.js';
import { DatabaseUnavailableError, DomainError, UploadTooLargeError } from '../common/errors.js';
import { imageTypeOf } from '../common/image-type.js';
import { assertPhotoName } from '../common/photo-form.js';
import { AppConfig } from '../config/app-config.js';
import { describeDatabase } from '../database/data-source-options.js';
import { FaceAnalyser } from '../face-engine/face-analyser.js';
import { EnrolledPhotos, type EnrolledPhoto } from '../store/enrolled-photos.js';
import { ReferencesService } from '../references/references.service.js';
import { KnownCollections } from '../collections/known-collections.js';
import {
  EnrolmentAborted,
  EnrolmentTarget,
  RetryLater,
  type EnrolAnswer,
  type PhotoUpload,
} from './enrolment-target.js';

/** The collection a direct enrolment enrols into. */
export class EnrolmentCollection {
  constructor(readonly name: string) {}
}

/**
 * Enrols into the configured database through the service's own ReferencesService: the checks,
 * the analysis and the store an upload goes through, without HTTP. A photo is refused for what
 * the service would answer 4xx; what it would answer 503 is tried again.
 */
@Injectable()
export class DirectEnrolmentTarget extends EnrolmentTarget {
  readonly description: string;

  constructor(
    private readonly references: ReferencesService,
    private readonly enrolledPhotos: EnrolledPhotos,
    private readonly engine: FaceAnalyser,
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly collection: EnrolmentCollection,
    private readonly collections: KnownCollections,
  ) {
    super();
    this.description = `${describeDatabase(config.env)}, collection ${collection.name}`;
  }

  async connect(): Promise<{ workers: number }> {
    // The command leaves migrations to the migrate command; a schema behind the code would
    // refuse every photo at its first write.
    if (await this.dataSource.showMigrations()) {
      throw new EnrolmentAborted(
        'the database has migrations pending: run `npm run cli -- migrate` first',
      );
    }
    if (!(await this.collections.exists(this.collection.name))) {
      throw new EnrolmentAborted(
        `no collection ${this.collection.name}: make it with POST /collections first`,
      );
    }
    return { workers: this.engine.workers };
  }

  enrolled(photos: Pick<PhotoUpload, 'sha256'>[]): Promise<EnrolledPhoto[]> {
    return this.enrolledPhotos.find(
      this.collection.name,
      photos.map(({ sha256 }) => sha256),
    );
  }

  async enrol({ filename, subject, bytes }: PhotoUpload): Promise<EnrolAnswer> {
    try {
      assertPhotoName(filename);
      const { MAX_UPLOAD_BYTES } = this.config.env;
      if (bytes.length > MAX_UPLOAD_BYTES) throw new UploadTooLargeError(MAX_UPLOAD_BYTES);
      const contentType = await imageTypeOf(bytes);
      const { key } = await this.references.upload(
        this.collection.name,
        { filename, contentType, bytes },
        { subject },
      );
      return { outcome: 'enrolled', key };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const status = errorReplyRule(error)?.status ?? HttpStatus.INTERNAL_SERVER_ERROR;
      if (status === HttpStatus.SERVICE_UNAVAILABLE) {
        throw new RetryLater(error.message, 1, error instanceof DatabaseUnavailableError);
      }
      return { outcome: 'refused', reason: error.message };
    }
  }
}
