import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import { buildOpenApiDocument } from './app.setup.js';
import { validateEnvironment } from './config/environment.js';

/**
 * The OpenAPI document of the service with its default settings. Nest's preview mode builds the
 * module graph and the routes but instantiates nothing, so neither a database nor the models are
 * needed.
 */
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
