import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import { describe, it } from 'node:test';
import {
  DEFAULT_MATCH_THRESHOLDS,
  InvalidEnvironmentError,
  validateEnvironment,
} from './environment.js';

describe('validateEnvironment', () => {
  it('should give laptop-friendly defaults for an empty environment', () => {
    const env = validateEnvironment({});
    assert.equal(env.PORT, 5056);
    assert.equal(env.HOST, '0.0.0.0');
    assert.equal(env.DATABASE_URL, undefined);
    assert.equal(env.FACE_BACKEND, 'auto');
    assert.equal(env.FACE_WORKERS, availableParallelism());
    assert.equal(env.MAX_UPLOAD_BYTES, 10 * 1024 * 1024);
    assert.equal(env.DB_RUN_MIGRATIONS, true);
    assert.equal(env.AUDIT_RETENTION_DAYS, 365);
    assert.ok(isAbsolute(env.DATA_DIR) && isAbsolute(env.MODELS_DIR));
  });

  it('should give each FACE_MODEL its own default threshold, and let a set one win', () => {
    assert.equal(validateEnvironment({}).FACE_MODEL, 'dlib');
    assert.equal(validateEnvironment({}).FACE_MATCH_THRESHOLD, 0.079);
    for (const model of ['mobilefacenet', 'fusion'] as const) {
      const env = validateEnvironment({ FACE_MODEL: model, MOBILEFACENET_TFLITE: 'm.tflite' });
      assert.equal(env.FACE_MATCH_THRESHOLD, DEFAULT_MATCH_THRESHOLDS[model]);
      assert.ok(isAbsolute(env.MOBILEFACENET_TFLITE!));
    }
    const chosen = validateEnvironment({ FACE_MODEL: 'fusion', FACE_MATCH_THRESHOLD: '0.2' });
    assert.equal(chosen.FACE_MATCH_THRESHOLD, 0.2);
  });

  it('should refuse an unknown FACE_MODEL, and one its FACE_BACKEND cannot run', () => {
    assert.throws(() => validateEnvironment({ FACE_MODEL: 'arcface' }), /FACE_MODEL="arcface"/);
    assert.throws(
      () => validateEnvironment({ FACE_MODEL: 'mobilefacenet', FACE_BACKEND: 'tensorflow' }),
      /FACE_MODEL="mobilefacenet": .*FACE_BACKEND to auto or onnx/,
    );
    assert.equal(
      validateEnvironment({ FACE_MODEL: 'fusion', FACE_BACKEND: 'onnx' }).FACE_MODEL,
      'fusion',
    );
  });

  it('should read numbers and booleans from their string form, and treat empty as unset', () => {
    const env = validateEnvironment({
      PORT: '8080',
      FACE_MATCH_THRESHOLD: '0.05',
      DB_RUN_MIGRATIONS: 'false',
      FACE_WORKERS: '',
      DATABASE_URL: 'mysql://u:p@db:3306/faces',
    });
    assert.equal(env.PORT, 8080);
    assert.equal(env.FACE_MATCH_THRESHOLD, 0.05);
    assert.equal(env.DB_RUN_MIGRATIONS, false);
    assert.equal(env.FACE_WORKERS, availableParallelism());
    assert.equal(env.DATABASE_URL, 'mysql://u:p@db:3306/faces');
  });

  it('should name every bad variable at once', () => {
    assert.throws(
      () =>
        validateEnvironment({
          PORT: '70000',
          FACE_BACKEND: 'gpu',
          MAX_UPLOAD_BYTES: 'ten',
          LOG_LEVEL: 'loud',
        }),
      (error: InvalidEnvironmentError) => {
        const named = error.problems.map((problem) => problem.split('=')[0]).sort();
        assert.deepEqual(named, ['FACE_BACKEND', 'LOG_LEVEL', 'MAX_UPLOAD_BYTES', 'PORT']);
        return true;
      },
    );
  });

  it('should refuse the TensorFlow.js cpu backend, which is no longer offered, naming the ones that are', () => {
    assert.throws(
      () => validateEnvironment({ FACE_BACKEND: 'cpu' }),
      (error: InvalidEnvironmentError) => {
        assert.equal(error.problems.length, 1);
        assert.match(error.problems[0], /^FACE_BACKEND=.*auto.*onnx.*tensorflow.*wasm/);
        assert.doesNotMatch(error.problems[0], /\bcpu\b.*\bcpu\b/);
        return true;
      },
    );
  });

  it('should say in one message what a numeric variable takes', () => {
    const problems = (raw: Record<string, string>) => {
      try {
        validateEnvironment(raw);
      } catch (error) {
        return (error as InvalidEnvironmentError).problems;
      }
      assert.fail('expected the environment to be refused');
    };
    assert.deepEqual(problems({ AUDIT_RETENTION_DAYS: '0' }), [
      'AUDIT_RETENTION_DAYS="0": must be a whole number between 1 and 36500',
    ]);
    assert.deepEqual(problems({ FACE_MATCH_THRESHOLD: 'abc' }), [
      'FACE_MATCH_THRESHOLD="abc": must be a number between 0 and 2',
    ]);
    assert.deepEqual(problems({ PORT: '80.5' }), [
      'PORT="80.5": must be a whole number between 1 and 65535',
    ]);
    assert.deepEqual(problems({ FACE_DETECTOR_SIZE: '300' }), [
      'FACE_DETECTOR_SIZE="300": must be a multiple of 32 between 256 and 1024',
    ]);
  });

  it("should default and bound each client's upload share and the minimum body rate", () => {
    const env = validateEnvironment({});
    assert.equal(env.MAX_INFLIGHT_UPLOAD_BYTES_PER_CLIENT, undefined);
    assert.equal(env.HTTP_BODY_MIN_BYTES_PER_SECOND, 1024);
    assert.equal(env.HTTP_BODY_MIN_RATE_WINDOW_MS, 10_000);
    assert.equal(
      validateEnvironment({ HTTP_BODY_MIN_BYTES_PER_SECOND: '0' }).HTTP_BODY_MIN_BYTES_PER_SECOND,
      0,
    );
    assert.throws(
      () =>
        validateEnvironment({
          MAX_INFLIGHT_UPLOAD_BYTES_PER_CLIENT: '10',
          HTTP_BODY_MIN_BYTES_PER_SECOND: '-1',
          HTTP_BODY_MIN_RATE_WINDOW_MS: '500',
        }),
      (error: InvalidEnvironmentError) => {
        const named = error.problems.map((problem) => problem.split('=')[0]).sort();
        assert.deepEqual(named, [
          'HTTP_BODY_MIN_BYTES_PER_SECOND',
          'HTTP_BODY_MIN_RATE_WINDOW_MS',
          'MAX_INFLIGHT_UPLOAD_BYTES_PER_CLIENT',
        ]);
        return true;
      },
    );
  });

  it('should reject short API keys without echoing them', () => {
    assert.throws(
      () => validateEnvironment({ API_KEYS: 'long-enough-key-123456,tiny' }),
      (error: Error) => {
        assert.match(error.message, /API_KEYS=\(hidden\)/);
        assert.doesNotMatch(error.message, /tiny|long-enough/);
        return true;
      },
    );
    assert.equal(
      validateEnvironment({ API_KEYS: 'long-enough-key-123456' }).API_KEYS,
      'long-enough-key-123456',
    );
  });

  it('should reject a DATABASE_URL that is not MySQL, without echoing it', () => {
    assert.throws(
      () => validateEnvironment({ DATABASE_URL: 'postgres://user:secret@db/faces' }),
      (error: Error) => {
        assert.match(error.message, /DATABASE_URL=\(hidden\)/);
        assert.doesNotMatch(error.message, /secret/);
        return true;
      },
    );
  });
});

describe('encryption keys', () => {
  const base64Key = Buffer.alloc(32, 7).toString('base64');
  const hexKey = Buffer.alloc(32, 9).toString('hex');

  it('should accept a base64 or hex key and a list of previous keys', () => {
    const env = validateEnvironment({
      ENCRYPTION_KEY: base64Key,
      ENCRYPTION_PREVIOUS_KEYS: `${hexKey},${base64Key}`,
    });
    assert.equal(env.ENCRYPTION_KEY, base64Key);
    assert.equal(env.ENCRYPTION_PREVIOUS_KEYS, `${hexKey},${base64Key}`);
  });

  it('should refuse a key of the wrong length or form, without echoing it', () => {
    assert.throws(
      () =>
        validateEnvironment({
          ENCRYPTION_KEY: hexKey.slice(0, 62),
          ENCRYPTION_PREVIOUS_KEYS: `${hexKey},not-a-key-secret`,
        }),
      (error: InvalidEnvironmentError) => {
        assert.match(error.message, /ENCRYPTION_KEY=\(hidden\)/);
        assert.match(error.message, /ENCRYPTION_PREVIOUS_KEYS=\(hidden\)/);
        assert.doesNotMatch(error.message, new RegExp(hexKey.slice(0, 20)));
        assert.doesNotMatch(error.message, /not-a-key-secret/);
        return true;
      },
    );
  });
});
