// Writes the OpenAPI document to a file (`npm run openapi`), without a database or the models:
// Nest's preview mode builds the module graph but instantiates nothing.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { AppModule } from './app.module.js';
import { buildOpenApiDocument } from './app.setup.js';
import { validateEnvironment } from './config/environment.js';

export async function generateOpenApiDocument(): Promise<OpenAPIObject> {
  const app = await NestFactory.create(AppModule.forRoot(validateEnvironment({})), {
    preview: true,
    logger: false,
  });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

export function serialiseOpenApiDocument(document: OpenAPIObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const target = process.argv[2] ?? 'openapi.json';
  writeFileSync(target, serialiseOpenApiDocument(await generateOpenApiDocument()));
  console.log(`OpenAPI document written to ${target}`);
}
