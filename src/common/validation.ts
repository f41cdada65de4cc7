import { applyDecorators, ValidationPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * For query strings and multipart fields that are numbers: validates as the global pipe does and
 * hands the handler the converted values. (The global pipe validates the converted values but
 * passes the raw strings on.)
 */
export const parsedFields = new ValidationPipe({ transform: true, forbidUnknownValues: false });

/**
 * Numbers in form fields and query parameters are written in decimal: digits, an optional
 * fraction and an optional exponent (`0.05`, `.05`, `5e-2`), a leading `-` at most. JavaScript's
 * Number() would also read `''` as 0 and `0x1` as 1, and take spaces, `+` and `Infinity`.
 */
const DECIMAL = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?$/;
const DECIMAL_INTEGER = /^-?\d+$/;

export interface NumberRange {
  min: number;
  max: number;
}

/**
 * A text field or query parameter that holds a number: converted when it is written as `pattern`
 * says, then checked; the one message names the problem (a badly written number is not also said
 * to be out of range).
 */
function decimalField(
  kind: 'number' | 'integer',
  { min, max }: NumberRange,
  options?: ValidationOptions,
): PropertyDecorator {
  const malformed =
    kind === 'integer'
      ? 'must be an integer in decimal digits, such as 10'
      : 'must be a number in decimal notation, such as 0.05 or 5e-2';
  const problem = (value: unknown): string | undefined => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return malformed;
    if (kind === 'integer' && !Number.isInteger(value)) return malformed;
    if (value < min) return `must not be less than ${min}`;
    if (value > max) return `must not be greater than ${max}`;
    return undefined;
  };
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && (kind === 'integer' ? DECIMAL_INTEGER : DECIMAL).test(value)
        ? Number(value)
        : value,
    ),
    ValidateBy(
      {
        name: kind === 'integer' ? 'decimalInteger' : 'decimalNumber',
        constraints: [min, max],
        validator: {
          validate: (value: unknown) => problem(value) === undefined,
          defaultMessage: (args) =>
            `${args?.property ?? 'value'} ${problem(args?.value) ?? malformed}`,
        },
      },
      options,
    ),
  );
}

/** A number from `min` to `max`, written in decimal notation. */
export function DecimalNumber(range: NumberRange, options?: ValidationOptions): PropertyDecorator {
  return decimalField('number', range, options);
}

/** An integer from `min` to `max`, written in decimal digits. */
export function DecimalInteger(range: NumberRange, options?: ValidationOptions): PropertyDecorator {
  return decimalField('integer', range, options);
}

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
