import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync } from 'class-validator';
import { IdentifyDto } from '../identification/dto/identify.dto.js';
import { ListReferencesQueryDto } from '../references/dto/requests.dto.js';
import { OperatingPointDto } from './dto/operating-point.dto.js';
import { InvalidQueryParameterError } from './errors.js';
import { assertQueryParameters } from './validation.js';

/** What the validation pipe makes of text fields as they arrive: the values, or the problems. */
function parse<T extends object>(
  type: ClassConstructor<T>,
  fields: Record<string, unknown>,
): { value: T; problems: string[] } {
  const value = plainToInstance(type, fields);
  const problems = validateSync(value).flatMap((error) => Object.values(error.constraints ?? {}));
  return { value, problems };
}

describe('query parameters', () => {
  it('should take the parameters the DTO declares, once each', () => {
    assertQueryParameters({ limit: '5', offset: '0', subject: 'amy' }, ListReferencesQueryDto);
    assertQueryParameters({}, ListReferencesQueryDto);
  });

  it('should name an unknown parameter and list those the route takes', () => {
    assert.throws(
      () => assertQueryParameters({ limit: '5', Subject: 'amy' }, ListReferencesQueryDto),
      (error: InvalidQueryParameterError) => {
        assert.equal(error.parameter, 'Subject');
        assert.equal(
          error.message,
          "Unknown query parameter 'Subject'; this route takes limit, offset, subject",
        );
        return true;
      },
    );
  });

  it('should refuse a parameter given more than once or as an object', () => {
    for (const subject of [['amy', 'bob'], { a: 'amy' }]) {
      assert.throws(
        () => assertQueryParameters({ subject }, ListReferencesQueryDto),
        /^InvalidQueryParameterError: Query parameter 'subject' must be given once/,
      );
    }
  });
});

describe('numbers in form fields and query parameters', () => {
  it('should read decimal notation, exponents included', () => {
    for (const [text, number] of [
      ['0', 0],
      ['0.05', 0.05],
      ['.05', 0.05],
      ['1', 1],
      ['5e-2', 0.05],
      ['1E-2', 0.01],
      ['2.0', 2],
    ] as const) {
      const { value, problems } = parse(OperatingPointDto, { threshold: text });
      assert.deepEqual(problems, [], text);
      assert.equal(value.threshold, number, text);
    }
  });

  it('should refuse an empty threshold instead of reading it as 0, with one message', () => {
    assert.deepEqual(parse(OperatingPointDto, { threshold: '' }).problems, [
      'threshold must be a number in decimal notation, such as 0.05 or 5e-2',
    ]);
  });

  it('should refuse hex, binary, octal, spaces, signs but minus, and words', () => {
    for (const text of [
      '0x1',
      '0b1',
      '0o1',
      ' 1',
      '1 ',
      '+1',
      '1.',
      '1e',
      '1_0',
      'Infinity',
      'NaN',
      '1e999',
    ]) {
      assert.match(
        parse(OperatingPointDto, { threshold: text }).problems.join(),
        /threshold must be a number in decimal notation/,
        JSON.stringify(text),
      );
    }
  });

  it('should refuse a repeated field', () => {
    assert.match(
      parse(OperatingPointDto, { threshold: ['0.1', '0.2'] }).problems.join(),
      /threshold must be a number/,
    );
  });

  it('should read limit and offset as decimal digits only', () => {
    const { value, problems } = parse(ListReferencesQueryDto, { limit: '10', offset: '020' });
    assert.deepEqual(problems, []);
    assert.deepEqual([value.limit, value.offset], [10, 20]);
    const fields: [ClassConstructor<object>, string][] = [
      [ListReferencesQueryDto, 'limit'],
      [ListReferencesQueryDto, 'offset'],
      [IdentifyDto, 'limit'],
    ];
    for (const [type, field] of fields) {
      for (const text of ['', '0x10', '1e1', '1.0', ' 1', '+1', 'ten']) {
        assert.match(
          parse(type, { [field]: text }).problems.join(),
          new RegExp(`${field} must be an integer in decimal digits`),
          `${type.name}.${field} = ${JSON.stringify(text)}`,
        );
      }
    }
  });

  it('should still check the range of a well-formed number', () => {
    assert.match(parse(OperatingPointDto, { threshold: '-0.1' }).problems.join(), /less than 0/);
    assert.match(parse(IdentifyDto, { limit: '101' }).problems.join(), /greater than 100/);
    assert.match(parse(ListReferencesQueryDto, { offset: '-1' }).problems.join(), /less than 0/);
  });
});
