import { Injectable } from '@nestjs/common';
import { writeFileSync } from 'node:fs';
import { generateOpenApiDocument, serialiseOpenApiDocument } from '../openapi.js';
import { parseOptions, UsageError, type Command, type CommandRunner } from './command.js';

interface OpenApiArguments {
  target: string;
}

@Injectable()
export class OpenApiCommand implements CommandRunner<OpenApiArguments> {
  async run({ target }: OpenApiArguments): Promise<number> {
    writeFileSync(target, serialiseOpenApiDocument(await generateOpenApiDocument()));
    console.log(`OpenAPI document written to ${target}`);
    return 0;
  }
}

export const openApiCommand: Command<OpenApiArguments> = {
  synopsis: 'openapi [FILE]',
  summary: 'write the OpenAPI document (default openapi.json)',
  parse(args) {
    const { positionals } = parseOptions(args, { allowPositionals: true });
    if (positionals.length > 1) throw new UsageError('openapi takes one file name at most');
    return { target: positionals[0] ?? 'openapi.json' };
  },
  // The document comes from the HTTP application's routes, built in preview mode without a
  // database or the models (see generateOpenApiDocument).
  imports: [],
  runner: OpenApiCommand,
};
