/**
 * Errors that name what happened, each building its own detail. Services throw these;
 * `ERROR_REPLIES` (error-replies.ts) gives each class its status code and headers, and
 * `HttpErrorFilter` alone turns them into answers, so the wire contract lives in one place.
 */
export abstract class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidFileExtensionError extends DomainError {
  constructor(readonly filename: string) {
    super('Invalid file extension');
  }
}

/** A query parameter the route does not take, or one given more than once or as an object. */
export class InvalidQueryParameterError extends DomainError {
  constructor(
    readonly parameter: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** The photo's file name has control or format characters (an ANSI escape, a NUL, a bidi override). */
export class InvalidFilenameError extends DomainError {
  constructor(readonly filename: string) {
    super('Filename must be printable text without control or format characters');
  }
}

/** The photo's file name is longer than the store keeps. */
export class FilenameTooLongError extends DomainError {
  constructor(readonly maxLength: number) {
    super(`Filename too long: at most ${maxLength} characters`);
  }
}

/**
 * The face to enrol is below the quality the operator requires of references: too few pixels
 * between the eyes (ENROL_MIN_INTER_OCULAR) or too blurred (ENROL_MIN_SHARPNESS).
 */
export class PoorEnrolmentError extends DomainError {
  constructor(
    readonly measure: 'inter-ocular' | 'sharpness',
    readonly measured: number,
    readonly required: number,
  ) {
    super(
      measure === 'inter-ocular'
        ? `Face too small to enrol: ${Math.round(measured)} pixels between the eyes, at least ` +
            `${required} needed. Please upload a larger photo of the face.`
        : `Face too blurred to enrol: sharpness ${Math.round(measured)}, at least ` +
            `${required} needed. Please upload a sharper photo.`,
    );
  }
}

/** A verdict asked for by both a threshold and a security level, or by a level not calibrated. */
export class InvalidOperatingPointError extends DomainError {
  constructor(readonly problem: 'threshold and security' | { uncalibratedModel: string }) {
    super(
      problem === 'threshold and security'
        ? 'Give either threshold or security, not both'
        : `No calibration for model ${problem.uncalibratedModel}: security levels are ` +
            'unavailable; give a threshold',
    );
  }
}

/**
 * The key in a request is not a syntactically valid reference key. The old service worded it
 * differently for a key in a form field (/compare) and one in the URL.
 */
export class InvalidReferenceKeyError extends DomainError {
  constructor(
    readonly key: string,
    readonly given: 'field' | 'path',
  ) {
    super(given === 'field' ? 'Reference key must be alphanumeric' : 'Invalid reference key');
  }
}

/**
 * No reference has the key. The old service said "image" when comparing with it and "embedding"
 * when reading or deleting it; its clients match on both.
 */
export class ReferenceNotFoundError extends DomainError {
  constructor(
    readonly key: string,
    readonly sought: 'image' | 'embedding',
  ) {
    super(`No reference ${sought} found with key: ${key}`);
  }
}

/** A subject in a URL that no reference could carry: not printable text, or too long. */
export class InvalidSubjectError extends DomainError {
  constructor(readonly maxLength: number) {
    super(`Invalid subject: printable text of at most ${maxLength} characters`);
  }
}

/** No reference carries the subject: nobody of that name is enrolled (or they were erased). */
export class SubjectNotFoundError extends DomainError {
  constructor(readonly subject: string) {
    super(`No reference found with subject: ${subject}`);
  }
}

/** The request names a collection (X-Collection, or a path) that does not exist. */
export class CollectionNotFoundError extends DomainError {
  constructor(readonly collection: string) {
    super(`Collection '${collection}' not found`);
  }
}

/** An X-Collection header that no collection could be named: refused, not looked up. */
export class InvalidCollectionNameError extends DomainError {
  constructor() {
    super(
      'Invalid collection name: 1 to 64 letters, digits, underscores, dots or hyphens, ' +
        'beginning with a letter or a digit',
    );
  }
}

/** `POST /collections` with a name that is taken. */
export class CollectionExistsError extends DomainError {
  constructor(readonly collection: string) {
    super(`Collection '${collection}' already exists`);
  }
}

/** `DELETE /collections/default`: the collection requests without X-Collection work on stays. */
export class DefaultCollectionError extends DomainError {
  constructor() {
    super(
      "The collection 'default' cannot be deleted: requests without X-Collection work on it; " +
        'erase its people with DELETE /subjects/{subject} or DELETE /delete_reference/{key}',
    );
  }
}

/**
 * A key bound to one collection named another in X-Collection: only an admin key may. Said before
 * the named collection is looked up, so that the answer tells nothing of whether it exists.
 */
export class CollectionNotAllowedError extends DomainError {
  constructor(readonly collection: string) {
    super("This key may not work on another collection: it lacks the scope 'admin'");
  }
}

/**
 * The body of `PUT /subjects/{subject}` is not a flat object of strings, numbers and booleans
 * within the size limit; `detail` names the field or key at fault.
 */
export class InvalidSubjectMetadataError extends DomainError {
  constructor(detail: string) {
    super(detail);
  }
}

export class NoFaceDetectedError extends DomainError {
  constructor() {
    super('No face detected in the image. Please upload an image with a clear face.');
  }
}

/** The bytes are not an image this service decodes, or one of more than `maxPixels` pixels. */
export class InvalidImageError extends DomainError {
  constructor(readonly maxPixels?: number) {
    super(
      maxPixels === undefined
        ? 'Invalid image file'
        : `Image too large: more than ${maxPixels} pixels (MAX_IMAGE_PIXELS)`,
    );
  }
}

/** A required multipart field is absent: answered as FastAPI does, 422 with one entry per field. */
export class MissingFieldsError extends DomainError {
  constructor(readonly fields: string[]) {
    super(`Field required: ${fields.join(', ')}`);
  }
}

export class UploadTooLargeError extends DomainError {
  constructor(readonly limitBytes: number) {
    super(`Uploaded file is larger than the limit of ${limitBytes} bytes`);
  }
}

/**
 * Wraps an unexpected failure with the operation it broke, so the 500 detail reads as the old
 * service's did ("Error processing image: ...").
 */
export class OperationFailedError extends DomainError {
  constructor(
    readonly operation: string,
    override readonly cause: unknown,
  ) {
    super(`${operation}: ${describeCause(cause)}`);
  }
}

/** A short, client-safe reason: the error's class and message, never a stack or SQL text. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^(ER_|SQLITE_|ECONN|ETIMEDOUT|PROTOCOL_)/.test(code)) {
      return `database error (${code})`;
    }
    return cause.message.split('\n')[0].slice(0, 200) || cause.name;
  }
  return String(cause).slice(0, 200);
}

/** The stored embedding was made by another model: a distance between the two means nothing. */
export class ModelMismatchError extends DomainError {
  constructor(
    readonly key: string,
    readonly storedModel: string,
    readonly currentModel: string,
  ) {
    super(
      `Reference ${key} was enrolled with model ${storedModel}, but this service uses ` +
        `${currentModel}; upload the reference photo again to compare with it`,
    );
  }
}

/** Enrolment needs exactly one face: with several it is ambiguous who is enrolled. */
export class MultipleFacesError extends DomainError {
  constructor(readonly count: number) {
    super(
      `Multiple faces detected in the image (${count}). Please upload an image with a single face.`,
    );
  }
}

/** API_KEYS is set and the request has no valid key. */
export class NotAuthenticatedError extends DomainError {
  constructor() {
    super('Not authenticated');
  }
}

/** The request's key is valid but lacks the scope the route needs. */
export class ScopeMissingError extends DomainError {
  constructor(
    readonly action: string,
    readonly scope: string,
  ) {
    super(`This key may not ${action}: it lacks the scope '${scope}'`);
  }
}

/** A key bound to one collection called a route that reaches every collection. */
export class KeyBoundToCollectionError extends DomainError {
  constructor(
    readonly action: string,
    readonly collection: string,
  ) {
    super(`This key may not ${action}: it works on the collection '${collection}' only`);
  }
}

/** A key may hand on only scopes it holds itself, and only for its own collection. */
export class KeyGrantRefusedError extends DomainError {
  constructor(readonly refusal: { scope: string } | { collection: string }) {
    super(
      'scope' in refusal
        ? `This key may not grant the scope '${refusal.scope}': it lacks it itself`
        : `This key may not create keys for the collection '${refusal.collection}': it works ` +
            'on another one',
    );
  }
}

/** No API key has the id (or it belongs to another collection than the caller's). */
export class KeyNotFoundError extends DomainError {
  constructor(readonly id: string) {
    super(`No API key found with id: ${id}`);
  }
}

/** A new key's expires_at is not in the future. */
export class KeyExpiryInPastError extends DomainError {
  constructor() {
    super('expires_at must be in the future');
  }
}

/** A key asked for a collection that does not exist. */
export class UnknownCollectionError extends DomainError {
  constructor(readonly collection: string) {
    super(`No collection named: ${collection}`);
  }
}

/**
 * `/keys` with API_KEYS unset: nothing checks keys then, and a key minted anyway would give its
 * holder the illusion of a limit that does not exist.
 */
export class KeysNotCheckedError extends DomainError {
  constructor() {
    super(
      'API keys are not checked: API_KEYS is unset, so every request is let in. Set API_KEYS ' +
        '(an admin key) to manage scoped keys',
    );
  }
}

/** The client's address failed authentication more than AUTH_FAILURES_PER_MINUTE allows. */
export class TooManyFailedAttemptsError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      'Too many failed authentication attempts from this address: retry after the time in ' +
        'the Retry-After header',
    );
  }
}

/** The client is over RATE_LIMIT_PER_MINUTE or RATE_LIMIT_INFERENCE_PER_MINUTE. */
export class RateLimitedError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many requests: slow down and retry after the time in the Retry-After header');
  }
}

/** Every worker is busy and the wait queue is full: the client should come back shortly. */
export class EngineBusyError extends DomainError {
  constructor() {
    super('Server busy: too many images are waiting for analysis; retry shortly');
  }
}

/**
 * Why an upload's body was refused: everyone's together would go over MAX_INFLIGHT_UPLOAD_BYTES,
 * or its client's over MAX_INFLIGHT_UPLOAD_BYTES_PER_CLIENT.
 */
export type UploadRefusal = 'budget-full' | 'client-share';

/** The bodies of uploads held in memory would go over the upload budget, or the client's share. */
export class UploadsBusyError extends DomainError {
  constructor(readonly refusal: UploadRefusal = 'budget-full') {
    super(
      refusal === 'client-share'
        ? "Server busy: this client's uploads already hold its share of the upload budget; " +
            'retry once they are done'
        : 'Server busy: too many uploads are arriving at once; retry shortly',
    );
  }
}

/** No worker came free within FACE_QUEUE_TIMEOUT_MS: the image was never analysed. */
export class EngineQueueTimeoutError extends DomainError {
  constructor(readonly waitedMs: number) {
    super(`Server busy: no worker was free within ${waitedMs} ms; retry shortly`);
  }
}

/** A face analysis ran past INFERENCE_TIMEOUT_MS; its worker was replaced. */
export class InferenceTimeoutError extends DomainError {
  constructor(readonly timeoutMs: number) {
    super(`Face analysis did not finish within ${timeoutMs} ms; retry shortly`);
  }
}

/** The client closed the connection before its answer was ready: its work is dropped. */
export class ClientDisconnectedError extends DomainError {
  constructor() {
    super('Client closed the connection before the answer was sent; nothing was stored');
  }
}

/** The worker thread running an analysis died (crash, out of memory); the pool replaces it. */
export class EngineWorkerFailedError extends DomainError {
  constructor(override readonly cause: unknown) {
    super('Face engine worker failed; try again');
  }
}

/** The stored image is sealed with a key that neither ENCRYPTION_KEY nor a previous key is. */
export class EncryptionKeyNotConfiguredError extends DomainError {
  constructor(readonly keyId: string) {
    super('Stored image is encrypted with a key that is not configured');
  }
}

/**
 * The stored bytes do not authenticate as this reference's image: altered, moved from another
 * row, or not an envelope while encryption is on. `reason` is for the log, not the client.
 */
export class StoredImageCorruptError extends DomainError {
  constructor(
    readonly keyId: string | null,
    readonly reason: string,
  ) {
    super('Stored image failed its integrity check');
  }
}

/**
 * A read of biometric data could not be entered in the audit trail: it is refused rather than
 * answered unrecorded.
 */
export class AuditUnavailableError extends DomainError {
  constructor(override readonly cause: unknown) {
    super('Audit trail unavailable: the request could not be recorded, so it was not answered');
  }
}

/** The database cannot be reached; the request may succeed once it is back. */
export class DatabaseUnavailableError extends DomainError {
  constructor(override readonly cause: unknown) {
    super('Database unavailable');
  }
}

/**
 * The database has no room for the write (disk, tablespace or page limit): nothing of it was
 * stored, and writes keep failing until an operator frees or adds space.
 */
export class StorageFullError extends DomainError {
  constructor(override readonly cause: unknown) {
    super('Insufficient storage: the database has no room for this write; nothing was stored');
  }
}

/** The Idempotency-Key header is empty, longer than 255 characters or not printable ASCII. */
export class InvalidIdempotencyKeyError extends DomainError {
  constructor() {
    super('Idempotency-Key must be 1 to 255 printable ASCII characters');
  }
}

/** The Idempotency-Key already named a different request (method, path, fields or file bytes). */
export class IdempotencyKeyReusedError extends DomainError {
  constructor() {
    super(
      'Idempotency-Key was already used for a different request (method, path or body differ): ' +
        'use a new key for a new request',
    );
  }
}

/** A request with the same Idempotency-Key is still being handled; its answer will be replayed. */
export class IdempotentRequestInProgressError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      'A request with this Idempotency-Key is still being processed: retry after the time in ' +
        'the Retry-After header to get its answer',
    );
  }
}

/**
 * The request with this Idempotency-Key was written, but the service stopped before its answer
 * was recorded: it cannot be replayed, and running it again would write twice.
 */
export class IdempotentAnswerLostError extends DomainError {
  constructor() {
    super(
      'The request with this Idempotency-Key was carried out, but the service stopped before ' +
        'recording its answer: read the resource to see its state',
    );
  }
}

/** A readiness check failed: the service should get no traffic until it passes. */
export class NotReadyError extends DomainError {
  constructor(readonly failures: string[]) {
    super(`Not ready: ${failures.join('; ')}`);
  }
}

/** SQLite's and MySQL/MariaDB's codes for a write refused for lack of space. */
const STORAGE_FULL_ERRORS = new Set([
  'SQLITE_FULL',
  'ER_RECORD_FILE_FULL',
  'ER_DISK_FULL',
  'ENOSPC',
  'EDQUOT',
]);

/** Whether an error means "no room to write" rather than a lost database or a wrong query. */
export function isStorageFull(error: unknown): boolean {
  return causeChain(error).some(
    ({ code }) => typeof code === 'string' && STORAGE_FULL_ERRORS.has(code),
  );
}

/** The error and what it wraps (TypeORM's driverError, an Error's cause), a few levels down. */
function causeChain(error: unknown): { code?: unknown; error: unknown }[] {
  const chain: { code?: unknown; error: unknown }[] = [];
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    const { code, driverError, cause } = current as {
      code?: unknown;
      driverError?: unknown;
      cause?: unknown;
    };
    chain.push({ code, error: current });
    current = driverError ?? cause;
  }
  return chain;
}

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
]);

/** Whether an error means "the database is not reachable" rather than "this query is wrong". */
export function isDatabaseUnavailable(error: unknown): boolean {
  return causeChain(error).some(
    ({ code, error: current }) =>
      (typeof code === 'string' && CONNECTION_ERRORS.has(code)) ||
      (current instanceof Error &&
        /connection (is )?(closed|lost)|pool is closed/i.test(current.message)),
  );
}
