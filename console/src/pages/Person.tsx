import { useEffect, useRef, useState } from 'preact/hooks';
import {
  ApiError,
  auth,
  call,
  getJson,
  sendJson,
  type FaceQuality,
  type Person as PersonAnswer,
  type ReferenceDetail,
} from '../api.ts';
import { Empty, ErrorNote } from '../components/Notice.tsx';
import { Photo } from '../components/Photo.tsx';
import { Uploader } from '../components/Uploader.tsx';
import { bytes, when } from '../format.ts';
import { useImage, useLoad } from '../hooks.ts';
import { href } from '../router.ts';

type Metadata = PersonAnswer['metadata'];

/** One person: their photos with the face enrolled, its quality, metadata, more photos, erasure. */
export function Person({ subject }: { subject: string }) {
  const person = useLoad(
    () => getJson<PersonAnswer>(`/subjects/${encodeURIComponent(subject)}`),
    [subject],
  );
  const [erasing, setErasing] = useState(false);

  if (person.error instanceof ApiError && person.error.status === 404) {
    return (
      <>
        <h1>{subject}</h1>
        <Empty>
          Nobody is enrolled as “{subject}”. <a href={href('people')}>Back to people</a>
        </Empty>
      </>
    );
  }
  const references = person.data?.references ?? [];
  return (
    <>
      <header class="page-head">
        <div>
          <p class="crumbs">
            <a href={href('people')}>People</a> /
          </p>
          <h1>{subject}</h1>
          <p class="lede">
            {person.data
              ? `${references.length} ${references.length === 1 ? 'photo' : 'photos'}, enrolled since ${when(references[0].created_at)}`
              : 'Loading…'}
          </p>
        </div>
        {auth.may('delete') && person.data && (
          <button type="button" class="danger" onClick={() => setErasing(true)}>
            Erase {subject}…
          </button>
        )}
      </header>
      <ErrorNote error={person.error} />

      <section aria-labelledby="photos-title">
        <h2 id="photos-title">Photos</h2>
        <ul class="photos">
          {references.map((reference) => (
            <ReferencePhoto
              key={reference.key}
              refKey={reference.key}
              quality={reference.face_quality}
              onDeleted={() => person.reload()}
              last={references.length === 1}
            />
          ))}
        </ul>
        {auth.may('enrol') && (
          <details class="panel">
            <summary>Add photos of {subject}</summary>
            <Uploader subject={subject} onEnrolled={() => person.reload()} />
          </details>
        )}
      </section>

      {person.data && (
        <MetadataEditor subject={subject} metadata={person.data.metadata} onSaved={person.reload} />
      )}

      {erasing && person.data && (
        <EraseDialog
          subject={subject}
          photos={references.length}
          fields={Object.keys(person.data.metadata).length}
          onClose={() => setErasing(false)}
        />
      )}
    </>
  );
}

function ReferencePhoto({
  refKey,
  quality,
  onDeleted,
  last,
}: {
  refKey: string;
  quality: FaceQuality | null;
  onDeleted: () => void;
  last: boolean;
}) {
  const path = `/references/${encodeURIComponent(refKey)}`;
  const detail = useLoad(() => getJson<ReferenceDetail>(path), [refKey]);
  const image = useImage(auth.may('images') ? `${path}/image` : null);
  const [error, setError] = useState<Error>();
  const name = detail.data?.filename ?? refKey;
  const remove = async () => {
    if (!confirm(`Delete the photo ${name}, its face and embedding? This cannot be undone.`))
      return;
    try {
      await call(`/delete_reference/${encodeURIComponent(refKey)}`, { method: 'DELETE' });
      onDeleted();
    } catch (failure) {
      setError(failure as Error);
    }
  };
  return (
    <li class="photo-card">
      <Photo
        src={image.url}
        alt={`Photo ${name}`}
        marks={detail.data ? [{ box: detail.data.face_box, tone: 'match' }] : []}
      />
      <div class="photo-facts">
        <strong class="photo-name" title={name}>
          {name}
        </strong>
        {detail.data && (
          <span class="muted">
            {when(detail.data.created_at)} · {bytes(detail.data.size_bytes)} · face{' '}
            {detail.data.face_box.w}×{detail.data.face_box.h} px
          </span>
        )}
        <QualityFacts quality={quality} />
        <ErrorNote error={error ?? image.error ?? detail.error} />
        {auth.may('delete') && !last && (
          <button type="button" class="link danger-link" onClick={() => void remove()}>
            Delete this photo
          </button>
        )}
      </div>
    </li>
  );
}

/**
 * The enrolment floors are the service's (ENROL_MIN_*, off by default). "low" marks what the worst
 * 1% of lfw-dev's references measured (docs/recognition.md, "Enrolment quality"): six times the
 * false rejects of the rest. The pose marks are a rough guide: past them a face is no longer
 * frontal (roll counts a photo lying on its side too, which the engine turns upright).
 */
function QualityFacts({ quality }: { quality: FaceQuality | null }) {
  if (!quality)
    return <span class="muted">Quality not measured (enrolled by an earlier version)</span>;
  const facts: [string, string, string][] = [
    [
      'Eye distance',
      `${Math.round(quality.inter_ocular)} px`,
      quality.inter_ocular >= 28.9 ? 'good' : 'low',
    ],
    [
      'Sharpness',
      String(Math.round(quality.sharpness)),
      quality.sharpness >= 112.4 ? 'good' : 'low',
    ],
    [
      'Turned',
      `${Math.round(Math.abs(quality.yaw))}°`,
      Math.abs(quality.yaw) <= 25 ? 'good' : 'low',
    ],
    [
      'Tilted',
      `${Math.round(Math.abs(quality.roll))}°`,
      Math.abs(quality.roll) <= 20 ? 'good' : 'low',
    ],
    [
      'Detector',
      `${Math.round(quality.detector_score * 100)}%`,
      quality.detector_score >= 0.8 ? 'good' : 'low',
    ],
  ];
  return (
    <dl class="quality">
      {facts.map(([term, value, grade]) => (
        <div key={term} class={`quality-${grade}`}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function MetadataEditor({
  subject,
  metadata,
  onSaved,
}: {
  subject: string;
  metadata: Metadata;
  onSaved: () => void;
}) {
  const toRows = (from: Metadata) =>
    Object.entries(from).map(([name, value]) => ({ name, value: String(value) }));
  const [rows, setRows] = useState(() => toRows(metadata));
  const [state, setState] = useState<{ error?: Error; saved?: boolean }>({});
  useEffect(() => setRows(toRows(metadata)), [metadata]);
  const editable = auth.may('enrol');

  const save = async (event: Event) => {
    event.preventDefault();
    const next: Metadata = {};
    for (const { name, value } of rows) {
      if (!name.trim()) continue;
      const before = metadata[name.trim()];
      // A number or a flag stays one when it still reads as one; anything else is text.
      if (typeof before === 'number' && value.trim() !== '' && Number.isFinite(Number(value)))
        next[name.trim()] = Number(value);
      else if (typeof before === 'boolean' && (value === 'true' || value === 'false'))
        next[name.trim()] = value === 'true';
      else next[name.trim()] = value;
    }
    try {
      await sendJson('PUT', `/subjects/${encodeURIComponent(subject)}`, { metadata: next });
      setState({ saved: true });
      onSaved();
    } catch (error) {
      setState({ error: error as Error });
    }
  };

  return (
    <section aria-labelledby="metadata-title" class="panel panel-flat">
      <h2 id="metadata-title">Details</h2>
      <form onSubmit={(event) => void save(event)}>
        {rows.length === 0 && <p class="muted">No details stored for {subject}.</p>}
        {rows.map((row, index) => (
          <div class="meta-row" key={index}>
            <label class="field">
              <span>Field</span>
              <input
                type="text"
                value={row.name}
                readOnly={!editable}
                onInput={(event) => {
                  const name = event.currentTarget.value;
                  setRows(rows.map((old, at) => (at === index ? { ...old, name } : old)));
                }}
              />
            </label>
            <label class="field">
              <span>Value</span>
              <input
                type="text"
                value={row.value}
                readOnly={!editable}
                onInput={(event) => {
                  const value = event.currentTarget.value;
                  setRows(rows.map((old, at) => (at === index ? { ...old, value } : old)));
                }}
              />
            </label>
            {editable && (
              <button
                type="button"
                class="link"
                aria-label={`Remove the field ${row.name || index + 1}`}
                onClick={() => setRows(rows.filter((_, at) => at !== index))}
              >
                Remove
              </button>
            )}
          </div>
        ))}
        {editable && (
          <div class="actions">
            <button type="button" onClick={() => setRows([...rows, { name: '', value: '' }])}>
              Add a field
            </button>
            <button type="submit" class="primary">
              Save details
            </button>
            {state.saved && <span role="status">Saved.</span>}
          </div>
        )}
        <ErrorNote error={state.error} />
      </form>
    </section>
  );
}

function EraseDialog({
  subject,
  photos,
  fields,
  onClose,
}: {
  subject: string;
  photos: number;
  fields: number;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<Error>();
  useEffect(() => dialog.current?.showModal(), []);
  const erase = async (event: Event) => {
    event.preventDefault();
    try {
      await call(`/subjects/${encodeURIComponent(subject)}`, { method: 'DELETE' });
      location.hash = href('people');
    } catch (failure) {
      setError(failure as Error);
    }
  };
  return (
    <dialog ref={dialog} class="dialog" aria-labelledby="erase-title" onClose={onClose}>
      <form onSubmit={(event) => void erase(event)}>
        <h2 id="erase-title">Erase {subject}?</h2>
        <p>This deletes, in one step and for good:</p>
        <ul>
          <li>
            {photos === 1
              ? `the one photo of ${subject}, with its face and embedding;`
              : `${photos} photos of ${subject}, with their faces and embeddings;`}
          </li>
          <li>
            {fields === 0
              ? 'their details (none stored)'
              : `their ${fields} ${fields === 1 ? 'detail' : 'details'}`}
            .
          </li>
        </ul>
        <p class="muted">
          The audit trail keeps that an erasure happened, with the name only as a digest.
        </p>
        <label class="field">
          <span>Type {subject} to confirm</span>
          <input
            type="text"
            value={typed}
            onInput={(event) => setTyped(event.currentTarget.value)}
          />
        </label>
        <ErrorNote error={error} />
        <div class="actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="submit" class="danger" disabled={typed !== subject}>
            Erase {subject}
          </button>
        </div>
      </form>
    </dialog>
  );
}
