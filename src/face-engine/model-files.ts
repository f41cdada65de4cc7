import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../common/project-root.js';

export const RECOGNITION_WEIGHTS = 'face_recognition_model.bin';

export class ModelIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelIntegrityError';
  }
}

export interface VerifiedModels {
  /** sha256 of each verified file, by file name. */
  sha256: Record<string, string>;
}

/** The sums committed with the code: a models folder cannot vouch for itself. */
export function committedSumsFile(): string {
  return join(projectRoot(), 'models', 'SHA256SUMS');
}

/**
 * Checks every model file listed in the committed SHA256SUMS against the copy in `modelsDir`.
 * Throws a message an operator can act on when a file is missing or altered.
 */
export async function verifyModelFiles(
  modelsDir: string,
  sumsFile: string = committedSumsFile(),
): Promise<VerifiedModels> {
  const expected = (await readFile(sumsFile, 'utf8'))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => line.split(/\s+/) as [string, string]);

  const sha256: Record<string, string> = {};
  const problems: string[] = [];
  for (const [sum, name] of expected) {
    const path = join(modelsDir, name);
    let actual: string;
    try {
      actual = createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
    } catch {
      problems.push(`${path} is missing`);
      continue;
    }
    if (actual !== sum) problems.push(`${path} has sha256 ${actual}, expected ${sum}`);
    sha256[name] = actual;
  }
  if (problems.length > 0) {
    throw new ModelIntegrityError(
      `Model files in MODELS_DIR=${modelsDir} do not match ${sumsFile}: ${problems.join('; ')}. ` +
        'Run `npm run models` to copy them from the installed @vladmandic/face-api package.',
    );
  }
  return { sha256 };
}
