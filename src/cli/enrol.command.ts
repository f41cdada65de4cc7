import { Injectable } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BulkEnrolment } from '../enrolment/bulk-enrolment.service.js';
import { DEFAULT_COLLECTION, isCollectionName } from '../collections/collection-name.js';
import { EnrolmentModule } from '../enrolment/enrolment.module.js';
import { enrolmentProgress } from '../enrolment/enrolment-progress.js';
import { countOutcomes, summary, writeReport } from '../enrolment/enrolment-report.js';
import {
  PhotoSourceError,
  readPhotoSource,
  type PhotoToEnrol,
} from '../enrolment/photo-sources.js';
import {
  EXIT_UNAVAILABLE,
  parseOptions,
  positiveInteger,
  UsageError,
  type Command,
  type CommandRunner,
} from './command.js';

interface EnrolArguments {
  photos: PhotoToEnrol[];
  url?: string;
  apiKey?: string;
  /** Named with --collection; otherwise `default` (or, over HTTP, the API key's own). */
  collection?: string;
  concurrency?: number;
  report?: string;
}

@Injectable()
export class EnrolCommand implements CommandRunner<EnrolArguments> {
  constructor(private readonly enrolment: BulkEnrolment) {}

  async run({ photos, concurrency, report }: EnrolArguments): Promise<number> {
    console.log(`Enrolling ${photos.length} photos into ${this.enrolment.description}`);
    const run = await this.enrolment.run(photos, {
      concurrency,
      progress: enrolmentProgress(),
      log: console.log,
    });
    if (run.results.length > 0) {
      console.log(summary(run));
      if (report) {
        writeReport(report, run.results);
        console.log(`Report written to ${report}`);
      }
    }
    if (run.aborted !== undefined) {
      console.error(`Stopped: ${run.aborted}`);
      return EXIT_UNAVAILABLE;
    }
    return countOutcomes(run.results).refused > 0 ? 1 : 0;
  }
}

export const enrolCommand: Command<EnrolArguments> = {
  synopsis:
    'enrol DIR|MANIFEST.csv [--collection NAME] [--url URL] [--api-key KEY] [--concurrency N] ' +
    '[--report FILE]',
  summary:
    'enrol a folder of photos (one sub-folder per person) or a CSV manifest (path,subject) into ' +
    'a collection (default: default), skipping those already enrolled there; exit 1 when some ' +
    'are refused',
  parse(args) {
    const { values, positionals } = parseOptions(args, {
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        'api-key': { type: 'string' },
        collection: { type: 'string' },
        concurrency: { type: 'string' },
        report: { type: 'string' },
      },
    });
    if (positionals.length !== 1) {
      throw new UsageError('enrol takes one folder or manifest');
    }
    const { url, 'api-key': apiKey, report, collection } = values;
    if (collection !== undefined && !isCollectionName(collection)) {
      throw new UsageError(
        `--collection: ${collection} is no collection name (1-64 of A-Z a-z 0-9 _ . -)`,
      );
    }
    if (url !== undefined && !/^https?:\/\/[^/]/.test(url)) {
      throw new UsageError(`--url must be an http:// or https:// address, not ${url}`);
    }
    if (apiKey !== undefined && url === undefined) {
      throw new UsageError('--api-key goes with --url: without it the photos go to the database');
    }
    if (report !== undefined && !existsSync(dirname(resolve(report)))) {
      throw new UsageError(`--report: no folder ${dirname(resolve(report))}`);
    }
    let photos: PhotoToEnrol[];
    try {
      photos = readPhotoSource(positionals[0]);
    } catch (error) {
      if (error instanceof PhotoSourceError) throw new UsageError(error.message);
      throw error;
    }
    return {
      photos,
      url,
      apiKey,
      collection,
      concurrency:
        values.concurrency === undefined
          ? undefined
          : positiveInteger('concurrency', values.concurrency),
      report,
    };
  },
  imports: [],
  // Over HTTP nothing of the service is loaded here: no database, no models.
  importsFor: ({ url, apiKey, collection }) =>
    url === undefined
      ? [EnrolmentModule.direct(collection ?? DEFAULT_COLLECTION)]
      : [EnrolmentModule.overHttp(url, apiKey, collection)],
  // Migrations are the migrate command's to run (the runner checks none is pending).
  env: { DB_RUN_MIGRATIONS: 'false' },
  runner: EnrolCommand,
};
