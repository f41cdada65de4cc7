import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { verifyModelFiles } from '../face-engine/model-files.js';
import {
  locateMobileFaceNet,
  verifyMobileFaceNet,
} from '../face-engine/onnx/mobilefacenet-model.js';
import { prepareOnnxModels } from '../face-engine/onnx/prepare-onnx-models.js';
import { parseOptions, UsageError, type Command, type CommandRunner } from './command.js';

@Injectable()
export class OnnxModelsCommand implements CommandRunner<void> {
  constructor(private readonly config: AppConfig) {}

  async run(): Promise<number> {
    const { MODELS_DIR, FACE_MODEL, MOBILEFACENET_TFLITE } = this.config.env;
    // The graphs are only as good as the weights they are built from.
    await verifyModelFiles(MODELS_DIR);
    let mobileFaceNet: string | undefined;
    if (FACE_MODEL !== 'dlib') {
      mobileFaceNet = locateMobileFaceNet(MOBILEFACENET_TFLITE, FACE_MODEL);
      await verifyMobileFaceNet(mobileFaceNet);
    }
    const { files, built } = await prepareOnnxModels(MODELS_DIR, mobileFaceNet);
    console.log(
      `${built ? 'Built' : 'Already there'}: ${Object.values(files).join(', ')} ` +
        '(each with its sha256 beside it)',
    );
    return 0;
  }
}

export const onnxModelsCommand: Command<void> = {
  synopsis: 'onnx-models',
  summary:
    "build the models of the onnx backend from the weights in MODELS_DIR (and MobileFaceNet's " +
    'where FACE_MODEL needs it), where missing',
  parse(args) {
    const { positionals } = parseOptions(args, { allowPositionals: true });
    if (positionals.length > 0) throw new UsageError('onnx-models takes no arguments');
  },
  // Built in a worker thread from the weight files: neither the database nor the worker pool.
  imports: [],
  runner: OnnxModelsCommand,
};
