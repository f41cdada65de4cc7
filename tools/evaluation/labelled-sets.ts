import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Two photos and whether they show the same person. The first is enrolled, the second compared. */
export interface LabelledPair {
  reference: string;
  probe: string;
  same: boolean;
  /** LFW's fold, for sets that have them. */
  fold?: number;
}

export interface LabelledSet {
  name: string;
  images: string[];
  pairs: LabelledPair[];
  /** The person each photo shows, where the set says. */
  identities?: Map<string, string>;
}

/**
 * The same men under a second spelling in LFW: found among the nearest strangers of the open-set
 * run (0.021 and 0.043) and checked by eye. Their pairs are no impostor pairs, and the open-set
 * run leaves the second spellings out.
 */
export const REAL_WORLD_SECOND_SPELLINGS = new Map([
  ['Dai_Chul_Chyung', 'Chyung_Dai-chul'],
  ['Hasan_Wirayuda', 'Hassan_Wirajuda'],
]);

/** One person's photos, lowest-numbered first. */
export interface PersonPhotos {
  person: string;
  photos: string[];
}

/** The photos in `folder/<identity>/<photo>`, by identity, each identity's in numeric order. */
export function identityPhotos(folder: string): PersonPhotos[] {
  const people: PersonPhotos[] = [];
  for (const person of readdirSync(folder).sort()) {
    const dir = join(folder, person);
    if (!statSync(dir).isDirectory()) continue;
    const photos = readdirSync(dir)
      .filter((file) => /\.(png|jpe?g)$/i.test(file))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      .map((file) => join(dir, file));
    if (photos.length > 0) people.push({ person, photos });
  }
  return people;
}

/** Every unordered pair of photos in `folder/<identity>/<photo>`, labelled by the folder name. */
export function identityFolders(name: string, folder: string): LabelledSet {
  const images = identityPhotos(folder).flatMap(({ person, photos }) =>
    photos.map((path) => ({ path, identity: person })),
  );
  const pairs: LabelledPair[] = [];
  for (let i = 0; i < images.length; i++) {
    for (let j = i + 1; j < images.length; j++) {
      pairs.push({
        reference: images[i].path,
        probe: images[j].path,
        same: images[i].identity === images[j].identity,
      });
    }
  }
  return { name, images: images.map((image) => image.path), pairs };
}

/**
 * LFW's View 2 `pairs.txt`: a header `folds n`, then per fold n same-person lines `Name i j` and n
 * different-person lines `Name1 i Name2 j`; photo i of Name is `Name/Name_<i as 4 digits>.jpg`.
 */
export function lfwPairs(name: string, folder: string): LabelledSet {
  const lines = readFileSync(join(folder, 'pairs.txt'), 'utf8').trim().split(/\r?\n/);
  const [folds, perFold] = lines[0].trim().split(/\s+/).map(Number);
  const identities = new Map<string, string>();
  const photo = (person: string, index: string) => {
    const path = join(folder, person, `${person}_${index.padStart(4, '0')}.jpg`);
    identities.set(path, person);
    return path;
  };
  const pairs = lines.slice(1).map((line, index): LabelledPair => {
    const cells = line.trim().split(/\s+/);
    const fold = Math.floor(index / (2 * perFold));
    return cells.length === 3
      ? { reference: photo(cells[0], cells[1]), probe: photo(cells[0], cells[2]), same: true, fold }
      : {
          reference: photo(cells[0], cells[1]),
          probe: photo(cells[2], cells[3]),
          same: false,
          fold,
        };
  });
  if (pairs.length !== folds * 2 * perFold) {
    throw new Error(`${folder}/pairs.txt: ${pairs.length} pairs, expected ${folds * 2 * perFold}`);
  }
  return { name, images: [...identities.keys()].sort(), pairs, identities };
}

/** DeepFace's `master.csv`: `file_x,file_y,Decision` with Yes/No. */
export function deepFaceMaster(name: string, folder: string): LabelledSet {
  const rows = readFileSync(join(folder, 'master.csv'), 'utf8').trim().split(/\r?\n/).slice(1);
  const pairs = rows.map((row) => {
    const [x, y, decision] = row.split(',').map((cell) => cell.trim());
    return { reference: join(folder, x), probe: join(folder, y), same: decision === 'Yes' };
  });
  const images = [...new Set(pairs.flatMap((pair) => [pair.reference, pair.probe]))].sort();
  return { name, images, pairs };
}
