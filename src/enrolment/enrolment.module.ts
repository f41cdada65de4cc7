import { Module, type DynamicModule } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module.js';
import { FaceEngineModule } from '../face-engine/face-engine.module.js';
import { ReferenceStoreModule } from '../store/reference-store.module.js';
import { ReferencesModule } from '../references/references.module.js';
import { BulkEnrolment } from './bulk-enrolment.service.js';
import { DirectEnrolmentTarget, EnrolmentCollection } from './direct-enrolment.target.js';
import { CollectionStoreModule } from '../collections/collection-store.module.js';
import { EnrolmentTarget } from './enrolment-target.js';
import { HttpEnrolmentSettings, HttpEnrolmentTarget } from './http-enrolment.target.js';

/**
 * Bulk enrolment, with its photos going either straight into the configured database (the
 * database, the face engine's workers and the references' service, as the server has them) or to
 * a running service over HTTP (none of those: nothing is loaded in this process).
 */
@Module({})
export class EnrolmentModule {
  static direct(collection: string): DynamicModule {
    return {
      module: EnrolmentModule,
      imports: [
        DatabaseModule,
        FaceEngineModule,
        ReferenceStoreModule,
        ReferencesModule,
        CollectionStoreModule,
      ],
      providers: [
        { provide: EnrolmentCollection, useValue: new EnrolmentCollection(collection) },
        { provide: EnrolmentTarget, useClass: DirectEnrolmentTarget },
        BulkEnrolment,
      ],
      exports: [BulkEnrolment],
    };
  }

  static overHttp(url: string, apiKey?: string, collection?: string): DynamicModule {
    return {
      module: EnrolmentModule,
      providers: [
        {
          provide: HttpEnrolmentSettings,
          useValue: new HttpEnrolmentSettings(url, apiKey, collection),
        },
        { provide: EnrolmentTarget, useClass: HttpEnrolmentTarget },
        BulkEnrolment,
      ],
      exports: [BulkEnrolment],
    };
  }
}
