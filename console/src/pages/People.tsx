import { useState } from 'preact/hooks';
import { auth, getJson, type ReferenceItem, type SubjectCount } from '../api.ts';
import { Face } from '../components/Face.tsx';
import { Empty, ErrorNote } from '../components/Notice.tsx';
import { Uploader } from '../components/Uploader.tsx';
import { useLoad } from '../hooks.ts';
import { href } from '../router.ts';

const PAGE = 24;

/** Everyone enrolled under a name, with their first face, searchable and in pages. */
export function People() {
  const people = useLoad(
    () => getJson<{ count: number; subjects: SubjectCount[] }>('/subjects'),
    [],
  );
  const [query, setQuery] = useState('');
  const [page, setPage] = useState(0);
  // Open by itself while nobody is enrolled; then as the person leaves it, uploads in view.
  const [enrolOpen, setEnrolOpen] = useState<boolean>();
  const found = (people.data?.subjects ?? []).filter(({ subject }) =>
    subject.toLowerCase().includes(query.trim().toLowerCase()),
  );
  const pages = Math.max(1, Math.ceil(found.length / PAGE));
  const shown = found.slice(page * PAGE, (page + 1) * PAGE);

  return (
    <>
      <header class="page-head">
        <div>
          <h1>People</h1>
          <p class="lede">
            {people.data
              ? `${people.data.count} ${people.data.count === 1 ? 'person' : 'people'} enrolled`
              : 'Everyone enrolled under a name'}
          </p>
        </div>
        <label class="field search">
          <span>Search by name</span>
          <input
            type="search"
            value={query}
            placeholder="Name contains…"
            onInput={(event) => {
              setQuery(event.currentTarget.value);
              setPage(0);
            }}
          />
        </label>
      </header>

      {auth.may('enrol') && (
        <details
          class="panel"
          open={enrolOpen ?? people.data?.count === 0}
          onToggle={(event) => setEnrolOpen(event.currentTarget.open)}
        >
          <summary>Enrol people</summary>
          <p class="hint">
            Name the person, then drop their photos: each is checked for one clear face and enrolled
            under that name. Several photos of one person make their verdicts steadier.
          </p>
          <Uploader askName onEnrolled={() => people.reload()} />
        </details>
      )}

      <ErrorNote error={people.error} />
      {people.data && found.length === 0 && (
        <Empty>{query ? `Nobody's name contains “${query}”.` : 'Nobody is enrolled yet.'}</Empty>
      )}
      <ul class="people" aria-busy={people.loading}>
        {shown.map(({ subject, references }) => (
          <PersonCard key={subject} subject={subject} references={references} />
        ))}
      </ul>
      {pages > 1 && (
        <nav class="pager" aria-label="Pages of people">
          <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
            ← Previous
          </button>
          <span>
            Page {page + 1} of {pages}
          </span>
          <button type="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
            Next →
          </button>
        </nav>
      )}
    </>
  );
}

function PersonCard({ subject, references }: SubjectCount) {
  // The oldest reference stands for the person: the first photo they were enrolled with.
  const first = useLoad(
    () =>
      getJson<{ references: ReferenceItem[] }>(
        `/list_references?limit=1&subject=${encodeURIComponent(subject)}`,
      ),
    [subject],
  );
  const key = first.data?.references[0]?.key;
  return (
    <li class="person-card">
      <a href={href('person', subject)}>
        {key && auth.may('images') ? (
          <Face refKey={key} size={72} alt={`Face of ${subject}`} />
        ) : (
          <span class="face face-72 face-initial" aria-hidden="true">
            {subject.slice(0, 1).toUpperCase()}
          </span>
        )}
        <span class="person-name">{subject}</span>
        <span class="person-count">
          {references} {references === 1 ? 'photo' : 'photos'}
        </span>
      </a>
    </li>
  );
}
