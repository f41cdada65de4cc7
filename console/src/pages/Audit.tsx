import { useState } from 'preact/hooks';
import { getJson, type AuditEntry } from '../api.ts';
import { Empty, ErrorNote } from '../components/Notice.tsx';
import { when } from '../format.ts';
import { useLoad } from '../hooks.ts';
import { href } from '../router.ts';

/** The actions GET /audit filters by (src/audit/audit-store.ts), in words. */
const ACTIONS: Record<string, string> = {
  enrol: 'enrolled a photo',
  compare: 'compared with a reference',
  verify: 'verified two photos',
  'person-verify': 'verified a person',
  identify: 'identified',
  'reference-read': 'read a reference',
  'photo-download': 'downloaded a photo',
  'face-download': 'viewed a face',
  'reference-delete': 'deleted a photo',
  'person-read': 'read a person',
  'person-metadata-write': 'changed details',
  'person-erase': 'erased a person',
  other: 'refused request',
};

interface Filters {
  action: string;
  subject: string;
  key: string;
  since: string;
  until: string;
}

const NONE: Filters = { action: '', subject: '', key: '', since: '', until: '' };

function query(filters: Filters, cursor?: string): string {
  const params = new URLSearchParams({ limit: '50' });
  if (filters.action) params.set('action', filters.action);
  if (filters.subject.trim()) params.set('subject', filters.subject.trim());
  if (filters.key.trim()) params.set('key', filters.key.trim());
  if (filters.since) params.set('since', new Date(filters.since).toISOString());
  if (filters.until) params.set('until', new Date(filters.until).toISOString());
  if (cursor) params.set('cursor', cursor);
  return `/audit?${params.toString()}`;
}

/** An erased person's name or key, kept only as its digest (docs/operations.md, audit trail). */
const isDigest = (value: string) => value.startsWith('sha256:');

function Digest({ value }: { value: string }) {
  return (
    <code class="digest" title={value}>
      erased {value.slice(7, 15)}…
    </code>
  );
}

export function Audit() {
  const [draft, setDraft] = useState<Filters>(NONE);
  const [filters, setFilters] = useState<Filters>(NONE);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(
    () => getJson<{ entries: AuditEntry[]; next_cursor: string | null }>(query(filters, cursor)),
    [filters, cursor],
  );
  const field = (name: keyof Filters) => ({
    value: draft[name],
    onInput: (event: { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
      setDraft({ ...draft, [name]: event.currentTarget.value }),
  });

  return (
    <>
      <header class="page-head">
        <div>
          <h1>Audit trail</h1>
          <p class="lede">Every look at a face and every change, newest first.</p>
        </div>
      </header>
      <form
        class="filters panel panel-flat"
        onSubmit={(event) => {
          event.preventDefault();
          setCursors([]);
          setFilters(draft);
        }}
      >
        <label class="field">
          <span>Action</span>
          <select {...field('action')}>
            <option value="">any</option>
            {Object.entries(ACTIONS).map(([action, words]) => (
              <option key={action} value={action}>
                {words}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>Person</span>
          <input type="text" {...field('subject')} />
        </label>
        <label class="field">
          <span>Reference key</span>
          <input type="text" {...field('key')} />
        </label>
        <label class="field">
          <span>From</span>
          <input type="datetime-local" {...field('since')} />
        </label>
        <label class="field">
          <span>Until</span>
          <input type="datetime-local" {...field('until')} />
        </label>
        <div class="actions">
          <button type="submit" class="primary">
            Filter
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(NONE);
              setFilters(NONE);
              setCursors([]);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <ErrorNote error={page.error} />
      {page.data && page.data.entries.length === 0 && <Empty>No entries match.</Empty>}
      {page.data && page.data.entries.length > 0 && (
        <div class="table-wrap">
          <table class="audit">
            <caption class="visually-hidden">Audit entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">time</th>
                <th scope="col">what</th>
                <th scope="col">who</th>
                <th scope="col">people</th>
                <th scope="col">references</th>
                <th scope="col" class="num">
                  answer
                </th>
                <th scope="col">from</th>
              </tr>
            </thead>
            <tbody>
              {page.data.entries.map((entry) => (
                <tr key={entry.id} class={entry.outcome >= 400 ? 'row-failed' : undefined}>
                  <td>{when(entry.time)}</td>
                  <td>{ACTIONS[entry.action] ?? entry.action}</td>
                  <td>{entry.key ? entry.key.name : <span class="muted">no key</span>}</td>
                  <td>
                    {entry.subjects.map((subject) =>
                      isDigest(subject) ? (
                        <Digest key={subject} value={subject} />
                      ) : (
                        <a key={subject} class="chip" href={href('person', subject)}>
                          {subject}
                        </a>
                      ),
                    )}
                  </td>
                  <td class="keys">
                    {entry.reference_keys.map((key) =>
                      isDigest(key) ? (
                        <Digest key={key} value={key} />
                      ) : (
                        <code key={key} title={key}>
                          {key.slice(0, 8)}
                        </code>
                      ),
                    )}
                  </td>
                  <td class="num">{entry.outcome}</td>
                  <td>{entry.client_address}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages of the audit trail">
        <button
          type="button"
          disabled={cursors.length === 0}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          ← Newer
        </button>
        <button
          type="button"
          disabled={!page.data?.next_cursor}
          onClick={() => page.data?.next_cursor && setCursors([...cursors, page.data.next_cursor])}
        >
          Older →
        </button>
      </nav>
    </>
  );
}
