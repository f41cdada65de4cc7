import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { HttpErrorFilter } from './common/http-error.filter.js';
import { AppConfig } from './config/app-config.js';

/** Builds the OpenAPI document from the controllers' and DTOs' decorators. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('facegate')
    .setDescription(
      'Self-hosted face recognition: enrol a reference face under a key, then check whether a new ' +
        'photo shows the same person. Errors are `{"detail": "..."}`.',
    )
    .setVersion('1')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Everything the running service and the e2e tests share beyond the module graph. */
export function configureApp(app: INestApplication): void {
  const config = app.get(AppConfig);
  app.useGlobalFilters(new HttpErrorFilter(config.env.MAX_UPLOAD_BYTES));
  // Checks the form fields' types (a repeated field arrives as an array); presence is checked by
  // the controllers, which answer a missing field with the FastAPI-style 422.
  app.useGlobalPipes(new ValidationPipe({ forbidUnknownValues: false }));
  app.enableShutdownHooks();
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
  });
}
