import { useEffect, useRef, useState } from 'preact/hooks';
import {
  ApiError,
  call,
  getJson,
  sendJson,
  SCOPES,
  type ApiKeyItem,
  type CreatedApiKey,
  type Scope,
} from '../api.ts';
import { Empty, ErrorNote } from '../components/Notice.tsx';
import { when } from '../format.ts';
import { useLoad } from '../hooks.ts';

/** What each scope lets a key do (README, keys), in a line an operator can choose by. */
const SCOPE_WORDS: Record<Scope, string> = {
  enrol: 'add photos and people',
  verify: 'compare and verify',
  identify: 'search the collection',
  read: 'list people and references',
  images: 'download photos and faces',
  delete: 'delete photos and erase people',
  admin: 'manage keys, collections, audit',
};

export function Keys() {
  const keys = useLoad(() => getJson<{ keys: ApiKeyItem[] }>('/keys'), []);
  const [made, setMade] = useState<CreatedApiKey>();
  const [revoking, setRevoking] = useState<ApiKeyItem>();
  // 409: API_KEYS is unset, every request is let in, and there is nothing to manage.
  const unchecked = keys.error instanceof ApiError && keys.error.status === 409;

  return (
    <>
      <header class="page-head">
        <div>
          <h1>Keys</h1>
          <p class="lede">
            Who may call the service: each key works on one collection with the scopes it was given.
          </p>
        </div>
      </header>
      {unchecked ? (
        <p class="notice">
          This service does not check keys: API_KEYS is unset, so it lets every request in and there
          are no keys to manage. Set API_KEYS to an admin key and restart the service to make scoped
          keys here.
        </p>
      ) : (
        <ErrorNote error={keys.error} />
      )}
      {made && <Secret made={made} onDone={() => setMade(undefined)} />}
      {keys.data && (
        <>
          <KeyTable keys={keys.data.keys} onRevoke={setRevoking} />
          <CreateKey
            onMade={(key) => {
              setMade(key);
              keys.reload();
            }}
          />
        </>
      )}
      {revoking && (
        <RevokeDialog
          apiKey={revoking}
          onDone={() => keys.reload()}
          onClose={() => setRevoking(undefined)}
        />
      )}
    </>
  );
}

function state(key: ApiKeyItem): string {
  if (key.revoked_at) return `revoked ${when(key.revoked_at)}`;
  if (key.expires_at && Date.parse(key.expires_at) <= Date.now()) return 'expired';
  return 'active';
}

function KeyTable({ keys, onRevoke }: { keys: ApiKeyItem[]; onRevoke: (key: ApiKeyItem) => void }) {
  if (keys.length === 0) return <Empty>No keys made yet: only the keys of API_KEYS work.</Empty>;
  return (
    <div class="table-wrap">
      <table class="key-list">
        <caption class="visually-hidden">API keys, oldest first</caption>
        <thead>
          <tr>
            <th scope="col">name</th>
            <th scope="col">collection</th>
            <th scope="col">scopes</th>
            <th scope="col">created</th>
            <th scope="col">expires</th>
            <th scope="col">last used</th>
            <th scope="col">state</th>
            <th scope="col">
              <span class="visually-hidden">actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key.id} class={key.revoked_at ? 'row-revoked' : undefined}>
              <td>
                {key.name}
                <br />
                <code class="muted">{key.id}</code>
              </td>
              <td>{key.collection}</td>
              <td>
                {key.scopes.map((scope) => (
                  <span key={scope} class="chip">
                    {scope}
                  </span>
                ))}
              </td>
              <td>{when(key.created_at)}</td>
              <td>{key.expires_at ? when(key.expires_at) : 'never'}</td>
              <td>{key.last_used_at ? when(key.last_used_at) : 'never'}</td>
              <td class="key-state">{state(key)}</td>
              <td>
                {!key.revoked_at && (
                  <button
                    type="button"
                    class="danger-link link"
                    aria-label={`Revoke ${key.name}…`}
                    onClick={() => onRevoke(key)}
                  >
                    Revoke…
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface Draft {
  name: string;
  collection: string;
  scopes: Scope[];
  expires: string;
}

function CreateKey({ onMade }: { onMade: (key: CreatedApiKey) => void }) {
  const collections = useLoad(
    () => getJson<{ collections: { name: string }[] }>('/collections'),
    [],
  );
  const [draft, setDraft] = useState<Draft>({
    name: '',
    collection: 'default',
    scopes: [],
    expires: '',
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const toggle = (scope: Scope, on: boolean) =>
    setDraft({
      ...draft,
      scopes: on ? [...draft.scopes, scope] : draft.scopes.filter((held) => held !== scope),
    });

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const made = await sendJson<CreatedApiKey>('POST', '/keys', {
        name: draft.name.trim(),
        collection: draft.collection,
        // In the order the service lists them, whatever order they were ticked in.
        scopes: SCOPES.filter((scope) => draft.scopes.includes(scope)),
        ...(draft.expires ? { expires_at: new Date(draft.expires).toISOString() } : {}),
      });
      setDraft({ ...draft, name: '', scopes: [], expires: '' });
      onMade(made);
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="panel new-key" onSubmit={(event) => void submit(event)}>
      <h2>Make a key</h2>
      <div class="new-key-fields">
        <label class="field">
          <span>Name</span>
          <input
            type="text"
            required
            maxLength={128}
            placeholder="e.g. front-door kiosk"
            value={draft.name}
            onInput={(event) => setDraft({ ...draft, name: event.currentTarget.value })}
          />
        </label>
        <label class="field">
          <span>Collection</span>
          <select
            value={draft.collection}
            onInput={(event) => setDraft({ ...draft, collection: event.currentTarget.value })}
          >
            {(collections.data?.collections ?? [{ name: 'default' }]).map(({ name }) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>Expires (optional)</span>
          <input
            type="datetime-local"
            value={draft.expires}
            onInput={(event) => setDraft({ ...draft, expires: event.currentTarget.value })}
          />
        </label>
      </div>
      <fieldset class="scopes">
        <legend>Scopes</legend>
        {SCOPES.map((scope) => (
          <label key={scope} class="scope">
            <input
              type="checkbox"
              checked={draft.scopes.includes(scope)}
              onChange={(event) => toggle(scope, event.currentTarget.checked)}
            />
            <span>
              <strong>{scope}</strong> <small class="muted">{SCOPE_WORDS[scope]}</small>
            </span>
          </label>
        ))}
      </fieldset>
      <ErrorNote error={collections.error ?? error} />
      <div class="actions">
        <button
          type="submit"
          class="primary"
          disabled={busy || !draft.name.trim() || draft.scopes.length === 0}
        >
          Make the key
        </button>
      </div>
    </form>
  );
}

function Secret({ made, onDone }: { made: CreatedApiKey; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(made.secret);
      setCopied('Copied.');
    } catch {
      // No clipboard (an insecure origin, a refused permission): leave it selected to copy.
      field.current?.select();
      setCopied('Selected: copy it with Ctrl+C.');
    }
  };
  return (
    <section class="panel secret" aria-labelledby="secret-title">
      <h2 id="secret-title">Key “{made.name}” made</h2>
      <p class="notice notice-warning" role="alert">
        Copy the secret now: it will not be shown again. The service keeps only its SHA-256; if it
        is lost, revoke this key and make another.
      </p>
      <div class="secret-row">
        <label class="field">
          <span>Secret</span>
          <input ref={field} type="text" readOnly value={made.secret} />
        </label>
        <button type="button" class="primary" onClick={() => void copy()}>
          Copy
        </button>
        {copied && <span role="status">{copied}</span>}
      </div>
      <p class="hint">
        Send it as X-API-Key (or Authorization: Bearer). It works on the collection “
        {made.collection}” for: {made.scopes.join(', ')}
        {made.expires_at ? `, until ${when(made.expires_at)}` : ''}.
      </p>
      <div class="actions">
        <button type="button" onClick={onDone}>
          I have kept it
        </button>
      </div>
    </section>
  );
}

function RevokeDialog({
  apiKey,
  onDone,
  onClose,
}: {
  apiKey: ApiKeyItem;
  onDone: () => void;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<Error>();
  useEffect(() => dialog.current?.showModal(), []);
  const revoke = async (event: Event) => {
    event.preventDefault();
    try {
      await call(`/keys/${encodeURIComponent(apiKey.id)}`, { method: 'DELETE' });
      onDone();
      dialog.current?.close();
    } catch (failure) {
      setError(failure as Error);
    }
  };
  return (
    <dialog ref={dialog} class="dialog" aria-labelledby="revoke-title" onClose={onClose}>
      <form onSubmit={(event) => void revoke(event)}>
        <h2 id="revoke-title">Revoke “{apiKey.name}”?</h2>
        <p>
          Every request with this key is refused from now on: at once here, within 5 seconds on
          every other replica. A revoked key cannot be brought back; it stays listed, marked
          revoked.
        </p>
        <ErrorNote error={error} />
        <div class="actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="submit" class="danger">
            Revoke the key
          </button>
        </div>
      </form>
    </dialog>
  );
}
