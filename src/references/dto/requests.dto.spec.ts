import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { UploadReferenceDto } from './requests.dto.js';

const problems = (subject: string) =>
  validateSync(plainToInstance(UploadReferenceDto, { subject })).flatMap((error) =>
    Object.values(error.constraints ?? {}),
  );

describe('UploadReferenceDto subject', () => {
  it('should take names in any script, the joiners some of them need included', () => {
    for (const name of ['Amy', 'Zoë Saldaña', 'علی‌رضا', '李小龍', '👩‍🔬 Marie', '✌️'.repeat(50)]) {
      assert.deepEqual(problems(name), [], name);
    }
  });

  it('should refuse control, format, private-use and separator characters', () => {
    for (const name of ['a\u0007', 'a\u202Eb', 'a\u200Eb', 'a\u2066b', 'a\uE000', 'a\u2028b']) {
      assert.match(problems(name).join(), /printable text/, JSON.stringify(name));
    }
  });

  it('should count characters as the database does, variation selectors included', () => {
    assert.match(problems(`${'✌️'.repeat(50)}x`).join(), /shorter than or equal to 100/);
  });
});
