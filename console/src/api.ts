// Every call the console makes goes through here: the API key from sessionStorage as X-API-Key,
// errors in the service's own words ({"detail"}), and what a 403 says the key may not do.

const KEY_ITEM = 'facegate.apiKey';

/** What a key may do, as scoped keys name it; a key of API_KEYS may do everything. */
export const SCOPES = ['enrol', 'verify', 'identify', 'read', 'images', 'delete', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

interface Session {
  key: string | null;
  /** Asked for a key: the service answered 401. */
  needsKey: boolean;
  /** Scopes a 403 said the key lacks: the console stops offering what needs them. */
  denied: Set<Scope>;
}

const session: Session = {
  key: sessionStorage.getItem(KEY_ITEM),
  needsKey: false,
  denied: new Set(),
};
const listeners = new Set<() => void>();
let version = 0;

function changed(): void {
  version++;
  for (const listener of listeners) listener();
}

export const auth = {
  get key() {
    return session.key;
  },
  get needsKey() {
    return session.needsKey;
  },
  get version() {
    return version;
  },
  may(scope: Scope): boolean {
    return !session.denied.has(scope);
  },
  signIn(key: string): void {
    session.key = key;
    session.needsKey = false;
    session.denied.clear();
    sessionStorage.setItem(KEY_ITEM, key);
    changed();
  },
  signOut(): void {
    session.key = null;
    session.denied.clear();
    sessionStorage.removeItem(KEY_ITEM);
    changed();
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

const LACKS_SCOPE = /lacks the scope '([a-z]+)'/;

/** Reads the `{"detail"}` of an error answer; a 401 asks for a key, a 403 hides what it forbids. */
async function failure(response: Response): Promise<ApiError> {
  let detail = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { detail?: unknown };
    if (typeof body.detail === 'string') detail = body.detail;
    else if (Array.isArray(body.detail)) detail = JSON.stringify(body.detail);
  } catch {
    // Not JSON (a proxy's page): the status line says enough.
  }
  if (response.status === 401 && !session.needsKey) {
    session.needsKey = true;
    changed();
  }
  const scope = response.status === 403 ? LACKS_SCOPE.exec(detail)?.[1] : undefined;
  if (scope && !session.denied.has(scope as Scope)) {
    session.denied.add(scope as Scope);
    changed();
  }
  return new ApiError(response.status, detail);
}

export async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (session.key) headers.set('X-API-Key', session.key);
  const response = await fetch(path, { ...init, headers });
  if (!response.ok) throw await failure(response);
  return response;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await call(path)).json()) as T;
}

export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  return (await (await call(path, init)).json()) as T;
}

export async function postForm<T>(path: string, form: FormData): Promise<T> {
  return (await (await call(path, { method: 'POST', body: form })).json()) as T;
}

/** An image the API serves, as an object URL (an <img src> could not send the key). */
export async function imageUrl(path: string): Promise<string> {
  return URL.createObjectURL(await (await call(path)).blob());
}

// The service's answers, as far as the console reads them.

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface FaceQuality {
  detector_score: number;
  inter_ocular: number;
  sharpness: number;
  yaw: number;
  roll: number;
}

export interface SubjectCount {
  subject: string;
  references: number;
}

export interface ReferenceItem {
  key: string;
  filename: string;
  subject?: string;
}

export interface Person {
  subject: string;
  references: {
    key: string;
    filename: string;
    created_at: string;
    face_quality: FaceQuality | null;
  }[];
  metadata: Record<string, string | number | boolean>;
}

export interface ReferenceDetail {
  key: string;
  filename: string;
  subject: string | null;
  content_type: string;
  size_bytes: number;
  face_box: Box;
  face_quality: FaceQuality | null;
  model: string;
  created_at: string;
}

export interface VerificationResult {
  verified: boolean;
  distance: number;
  threshold: number;
  far?: number;
  facial_areas: { img1: Box; img2: Box };
  faces_skipped: number;
}

export interface IdentifyMatch {
  key: string;
  filename: string;
  subject: string | null;
  distance: number;
  verified: boolean;
  far?: number;
  fpir?: number;
}

export interface IdentifyAnswer {
  faces: { facial_area: Box; matches: IdentifyMatch[] }[];
  threshold: number;
  target_fpir: number | null;
  references_searched: number;
  faces_skipped: number;
}

export interface CalibrationAnswer {
  model: string;
  default_threshold: number;
  measured_on: string | null;
  impostor_pairs: number | null;
  levels: { high: number; medium: number; low: number } | null;
  far: [number, number][];
}

export interface AuditEntry {
  id: string;
  time: string;
  key: { id: string; name: string } | null;
  collection: string;
  action: string;
  reference_keys: string[];
  subjects: string[];
  outcome: number;
  request_id: string;
  client_address: string;
}

export interface ApiKeyItem {
  id: string;
  name: string;
  collection: string;
  scopes: Scope[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface CreatedApiKey {
  id: string;
  name: string;
  secret: string;
  collection: string;
  scopes: Scope[];
  created_at: string;
  expires_at: string | null;
}
