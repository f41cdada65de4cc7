import { applyDecorators, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { getMetadataStorage, ValidateBy, type ValidationOptions } from 'class-validator';
import { InvalidQueryParameterError } from './errors.js';

/**
 * The global pipe: validates every DTO. A query is first checked for parameters its DTO does not
 * declare, and for any given more than once (or as an object, should the query parser ever make
 * them): `?Subject=x` or `?subject[]=x` would otherwise be answered as if unfiltered. Every route
 * that takes a query DTO gets this; the query strings of routes that take none are not read.
 */
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    // Checks the form fields' types (a repeated field arrives as an array); presence is checked by
    // the controllers, which answer a missing field with the FastAPI-style 422.
    super({ forbidUnknownValues: false });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'query' && metadata.data === undefined && metadata.metatype) {
      assertQueryParameters(value, metadata.metatype);
    }
    return super.transform(value, metadata);
  }
}

/**
 * Throws InvalidQueryParameterError for the first parameter `dto` does not take as one value. A
 * type without validation decorators (`@Query() query: object`) declares nothing to check against.
 */
export function assertQueryParameters(query: unknown, dto: abstract new () => unknown): void {
  const known = new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(dto, '', true, false)
      .map((metadata) => metadata.propertyName),
  );
  if (known.size === 0) return;
  for (const [name, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (!known.has(name)) {
      throw new InvalidQueryParameterError(
        name,
        `Unknown query parameter '${name}'; this route takes ${[...known].join(', ')}`,
      );
    }
    if (typeof value !== 'string') {
      throw new InvalidQueryParameterError(
        name,
        `Query parameter '${name}' must be given once, as a plain value`,
      );
    }
  }
}

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
