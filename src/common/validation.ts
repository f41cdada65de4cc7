import { ValidationPipe } from '@nestjs/common';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * For query strings and multipart fields that are numbers: validates as the global pipe does and
 * hands the handler the converted values. (The global pipe validates the converted values but
 * passes the raw strings on.)
 */
export const parsedFields = new ValidationPipe({ transform: true, forbidUnknownValues: false });

/**
 * At most `max` characters as a database counts them: code points. (class-validator's MaxLength
 * does not count variation selectors, so text it accepts can overflow the column.)
 */
export function MaxCodePoints(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxCodePoints',
      constraints: [max],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && [...value].length <= max,
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be shorter than or equal to ${max} characters`,
      },
    },
    options,
  );
}

/**
 * Text a person typed: no control, format (bidirectional overrides among them), private-use,
 * unassigned or line-separator characters, but the zero-width (non-)joiners that some scripts and
 * emoji need.
 */
export const PRINTABLE_TEXT = /^(?:[^\p{C}\p{Zl}\p{Zp}]|[\u200C\u200D])+$/u;
