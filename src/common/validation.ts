import { ValidationPipe } from '@nestjs/common';

/**
 * For query strings and multipart fields that are numbers: validates as the global pipe does and
 * hands the handler the converted values. (The global pipe validates the converted values but
 * passes the raw strings on.)
 */
export const parsedFields = new ValidationPipe({ transform: true, forbidUnknownValues: false });
