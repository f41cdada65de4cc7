import { Module, type DynamicModule } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module.js';
import { FaceEngineModule } from '../face-engine/face-engine.module.js';
import { ReferenceStoreModule } from '../store/reference-store.module.js';
import { ReferencesModule } from '../references/references.module.js';
import { BulkEnrolment } from './bulk-enrolment.service.js';
import { DirectEnrolmentTarget } from './direct-enrolment.target.js';
import { EnrolmentTarget } from './enrolment-target.js';
import { HttpEnrolmentSettings, HttpEnrolmentTarget } from './http-enrolment.target.js';

/**
 * Bulk enrolment, with its photos going either straight into the configured database (the
 * database, the face engine's workers and the references' service, as the server has them) or to
 * a running service over HTTP (none of those: nothing is loaded in this process).
 */
@Module({})
export class EnrolmentModule {
  static direct(): DynamicModule {
    return {
      module: EnrolmentModule,
      imports: [DatabaseModule, FaceEngineModule, ReferenceStoreModule, ReferencesModule],
      providers: [{ provide: EnrolmentTarget, useClass: DirectEnrolmentTarget }, BulkEnrolment],
      exports: [BulkEnrolment],
    };
  }

  static overHttp(url: string, apiKey?: string): DynamicModule {
    return {
      module: EnrolmentModule,
      providers: [
        { provide: HttpEnrolmentSettings, useValue: new HttpEnrolmentSettings(url, apiKey) },
        { provide: EnrolmentTarget, useClass: HttpEnrolmentTarget },
        BulkEnrolment,
      ],
      exports: [BulkEnrolment],
    };
  }
}
