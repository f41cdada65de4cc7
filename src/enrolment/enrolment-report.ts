import { stringify } from 'csv-stringify/sync';
import { writeFileSync } from 'node:fs';
import type { BulkEnrolmentRun, PhotoResult } from './bulk-enrolment.service.js';

export interface EnrolmentCounts {
  enrolled: number;
  skipped: number;
  refused: number;
  notSent: number;
}

export function countOutcomes(results: PhotoResult[]): EnrolmentCounts {
  const counts = { enrolled: 0, skipped: 0, refused: 0, notSent: 0 };
  for (const result of results) {
    if (result.outcome === 'not sent') counts.notSent += 1;
    else counts[result.outcome] += 1;
  }
  return counts;
}

/** The end of a run as the operator reads it: the counts, then each refused photo and why. */
export function summary(run: BulkEnrolmentRun): string {
  const counts = countOutcomes(run.results);
  const lines = [
    `Enrolled ${counts.enrolled}, skipped ${counts.skipped} (already enrolled), ` +
      `refused ${counts.refused}` +
      (counts.notSent > 0 ? `, not sent ${counts.notSent}` : '') +
      (counts.enrolled + counts.refused > 0
        ? ` in ${run.seconds.toFixed(1)} s (${run.rate.toFixed(2)} photos/s)`
        : ''),
  ];
  for (const result of run.results) {
    if (result.outcome === 'refused') lines.push(`  refused ${result.source}: ${result.reason}`);
  }
  return lines.join('\n');
}

/** Every photo with its outcome, the key it got, or the reason it was skipped or refused. */
export function writeReport(file: string, results: PhotoResult[]): void {
  const rows = results.map((result) => ({
    path: result.source,
    subject: result.subject ?? '',
    outcome: result.outcome,
    key: result.outcome === 'enrolled' ? result.key : '',
    reason: result.outcome === 'refused' || result.outcome === 'skipped' ? result.reason : '',
  }));
  writeFileSync(
    file,
    stringify(rows, { header: true, columns: ['path', 'subject', 'outcome', 'key', 'reason'] }),
  );
}
