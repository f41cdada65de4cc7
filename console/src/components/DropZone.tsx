import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

/**
 * A file input and the label that is its drop target: a person drops files on the label, or clicks
 * it, or tabs to the input and presses space; a test sets the input's files. The input comes first
 * so that its focus can light up the label (styles.css).
 */
export function DropZone({
  id,
  multiple = false,
  small = false,
  onFiles,
  children,
}: {
  id: string;
  multiple?: boolean;
  small?: boolean;
  onFiles: (files: File[]) => void;
  children: ComponentChildren;
}) {
  const [over, setOver] = useState(false);
  return (
    <>
      <input
        id={id}
        class="visually-hidden"
        type="file"
        accept=".jpg,.jpeg,.png,image/jpeg,image/png"
        multiple={multiple}
        onChange={(event) => {
          const files = [...(event.currentTarget.files ?? [])];
          // Cleared, so that choosing the same file again is a change too.
          event.currentTarget.value = '';
          if (files.length) onFiles(files);
        }}
      />
      <label
        for={id}
        class={`dropzone${small ? ' dropzone-small' : ''}${over ? ' dropzone-over' : ''}`}
        onDragOver={(event) => {
          event.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(event) => {
          event.preventDefault();
          setOver(false);
          const files = [...(event.dataTransfer?.files ?? [])];
          if (files.length) onFiles(multiple ? files : files.slice(0, 1));
        }}
      >
        {children}
      </label>
    </>
  );
}
