import { parse } from 'csv-parse/sync';
import { readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { PRINTABLE_TEXT } from '../common/validation.js';
import { SUBJECT_MAX_LENGTH } from '../store/reference-store.js';

/** One photo to enrol: where it is, as given and resolved, and the person it shows. */
export interface PhotoToEnrol {
  /** As the operator wrote it (manifest) or relative to the folder: what the report names. */
  source: string;
  /** Absolute. */
  path: string;
  /** Null for a manifest line without one, as an upload without a subject. */
  subject: string | null;
}

/** Why a folder or manifest cannot be enrolled as it is: the command stops before it starts. */
export class PhotoSourceError extends Error {}

/** The extensions the service accepts (`assertImageExtension`); other files in a folder are not photos. */
const PHOTO = /\.(jpe?g|png)$/i;

/** `DIR` (a folder with one sub-folder per person) or a CSV manifest, by what `location` is. */
export function readPhotoSource(location: string): PhotoToEnrol[] {
  let isFolder: boolean;
  try {
    isFolder = statSync(location).isDirectory();
  } catch {
    throw new PhotoSourceError(`${location}: no such folder or file`);
  }
  return isFolder ? readPhotoFolder(location) : readManifest(location);
}

/**
 * Each sub-folder of `folder` is a person, its name the subject, and the photos directly in it are
 * theirs, in name order. A photo directly in `folder` would have no subject: it is an error rather
 * than skipped, since the operator meant it to be enrolled. Other files are not photos and are
 * left out, as are folders deeper down.
 */
export function readPhotoFolder(folder: string): PhotoToEnrol[] {
  const entries = sortedEntries(folder);
  const loose = entries.filter((entry) => entry.isFile() && PHOTO.test(entry.name));
  if (loose.length > 0) {
    throw new PhotoSourceError(
      `${join(folder, loose[0].name)}: a photo outside a person's folder has no subject ` +
        `(${loose.length} such); put each in a sub-folder named after the person`,
    );
  }
  const photos: PhotoToEnrol[] = [];
  for (const person of entries.filter((entry) => entry.isDirectory())) {
    const subject = checkedSubject(person.name, join(folder, person.name));
    for (const file of sortedEntries(join(folder, person.name))) {
      if (!file.isFile() || !PHOTO.test(file.name)) continue;
      photos.push({
        source: join(person.name, file.name),
        path: resolve(folder, person.name, file.name),
        subject,
      });
    }
  }
  if (photos.length === 0) {
    throw new PhotoSourceError(
      `${folder}: no photos (.jpg, .jpeg, .png) in sub-folders; expected one sub-folder per person`,
    );
  }
  return photos;
}

/**
 * A CSV file with a header line naming the columns `path` and `subject` (others are ignored);
 * paths relative to the manifest's folder. A line with an empty subject enrols without one.
 */
export function readManifest(file: string): PhotoToEnrol[] {
  if (extname(file).toLowerCase() !== '.csv') {
    throw new PhotoSourceError(`${file}: expected a folder or a .csv manifest`);
  }
  let rows: Record<string, string>[];
  try {
    rows = parse(readFileSync(file), {
      columns: (header: string[]) => header.map((name) => name.trim().toLowerCase()),
      bom: true,
      skip_empty_lines: true,
      trim: true,
    });
  } catch (error) {
    throw new PhotoSourceError(
      `${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const folder = dirname(resolve(file));
  const photos = rows.map((row, index) => {
    // Line 1 is the header.
    const line = `${file}:${index + 2}`;
    if (row.path === undefined || row.subject === undefined) {
      throw new PhotoSourceError(`${file}: the header must name the columns path and subject`);
    }
    if (row.path === '') throw new PhotoSourceError(`${line}: no path`);
    return {
      source: row.path,
      path: isAbsolute(row.path) ? row.path : resolve(folder, row.path),
      subject: row.subject === '' ? null : checkedSubject(row.subject, line),
    };
  });
  if (photos.length === 0) throw new PhotoSourceError(`${file}: no photos listed`);
  return photos;
}

/** The subject as the service would store it, or why the service would refuse it. */
function checkedSubject(subject: string, where: string): string {
  const trimmed = subject.trim();
  if (trimmed === '' || !PRINTABLE_TEXT.test(trimmed)) {
    throw new PhotoSourceError(`${where}: the subject must be printable text`);
  }
  if ([...trimmed].length > SUBJECT_MAX_LENGTH) {
    throw new PhotoSourceError(`${where}: the subject is over ${SUBJECT_MAX_LENGTH} characters`);
  }
  return trimmed;
}

function sortedEntries(folder: string): Dirent[] {
  return readdirSync(folder, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
}
