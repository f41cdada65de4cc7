import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Two photos and whether they show the same person. The first is enrolled, the second compared. */
export interface LabelledPair {
  reference: string;
  probe: string;
  same: boolean;
}

export interface LabelledSet {
  name: string;
  images: string[];
  pairs: LabelledPair[];
}

/** Every unordered pair of photos in `folder/<identity>/<photo>`, labelled by the folder name. */
export function identityFolders(name: string, folder: string): LabelledSet {
  const images: { path: string; identity: string }[] = [];
  for (const identity of readdirSync(folder).sort()) {
    const dir = join(folder, identity);
    if (!statSync(dir).isDirectory()) continue;
    for (const file of readdirSync(dir).sort((a, b) =>
      a.localeCompare(b, 'en', { numeric: true }),
    )) {
      if (/\.(png|jpe?g)$/i.test(file)) images.push({ path: join(dir, file), identity });
    }
  }
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
