import { useState } from 'preact/hooks';
import { ApiError, postForm } from '../api.ts';
import { DropZone } from './DropZone.tsx';

type Line =
  | { name: string; state: 'waiting' | 'sending' }
  | { name: string; state: 'enrolled'; faces: number; person?: string }
  | { name: string; state: 'refused'; detail: string };

/** Photos sent at once: the engine has a queue, but two keep a small machine responsive. */
const IN_FLIGHT = 2;

/**
 * Enrols photos dropped or chosen, several at once, one line per file with its outcome: a refusal
 * in the service's own words. `subject` names the person; `askName` shows a field for it.
 */
export function Uploader({
  subject,
  askName = false,
  onEnrolled,
}: {
  subject?: string;
  askName?: boolean;
  onEnrolled: (subject: string | undefined) => void;
}) {
  const [name, setName] = useState('');
  const [lines, setLines] = useState<Line[]>([]);
  const person = (subject ?? name).trim() || undefined;

  const enrol = async (files: File[]) => {
    if (files.length === 0) return;
    const first = lines.length;
    setLines((before) => [
      ...before,
      ...files.map((file) => ({ name: file.name, state: 'waiting' as const })),
    ]);
    const update = (index: number, line: Line) =>
      setLines((before) => before.map((old, at) => (at === first + index ? line : old)));
    let next = 0;
    let enrolled = 0;
    const worker = async () => {
      while (next < files.length) {
        const index = next++;
        const file = files[index];
        update(index, { name: file.name, state: 'sending' });
        const form = new FormData();
        form.append('image', file, file.name);
        if (person) form.append('subject', person);
        try {
          const answer = await postForm<{ faces_detected?: number }>('/upload_reference', form);
          enrolled++;
          update(index, {
            name: file.name,
            state: 'enrolled',
            faces: answer.faces_detected ?? 1,
            person,
          });
        } catch (error) {
          const detail = error instanceof ApiError ? error.detail : String(error);
          update(index, { name: file.name, state: 'refused', detail });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, files.length) }, worker));
    if (enrolled > 0) onEnrolled(person);
  };

  const inputId = `photos-${subject ?? 'new'}`;
  return (
    <section class="uploader" aria-label={subject ? `Add photos of ${subject}` : 'Enrol people'}>
      {askName && (
        <label class="field">
          <span>Name of the person</span>
          <input
            type="text"
            value={name}
            maxLength={255}
            placeholder="e.g. Amy Farrah Fowler"
            onInput={(event) => setName(event.currentTarget.value)}
          />
        </label>
      )}
      <DropZone id={inputId} multiple onFiles={(files) => void enrol(files)}>
        <span>
          <strong>Drop photos here</strong> or <u>choose files</u>
        </span>
        <small>JPEG or PNG, one face each{person ? `, enrolled as ${person}` : ''}</small>
      </DropZone>
      {lines.length > 0 && (
        <ul class="progress" aria-live="polite" aria-label="Uploads">
          {lines.map((line, index) => (
            <li key={index} class={`progress-${line.state}`}>
              <span class="progress-name">{line.name}</span>
              <span class="progress-state">
                {line.state === 'waiting' && 'waiting'}
                {line.state === 'sending' && 'analysing…'}
                {line.state === 'enrolled' &&
                  `enrolled${line.person ? ` as ${line.person}` : ''}${line.faces > 1 ? `: the main face of ${line.faces}` : ''}`}
                {line.state === 'refused' && `refused: ${line.detail}`}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
