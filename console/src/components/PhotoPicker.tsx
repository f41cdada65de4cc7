import { useState } from 'preact/hooks';

/** One photo chosen or dropped, for a request that stores nothing. */
export function PhotoPicker({
  id,
  label,
  onPick,
}: {
  id: string;
  label: string;
  onPick: (file: File) => void;
}) {
  const [over, setOver] = useState(false);
  return (
    <>
      <input
        id={id}
        class="visually-hidden"
        type="file"
        accept=".jpg,.jpeg,.png,image/jpeg,image/png"
        onChange={(event) => {
          const file = event.currentTarget.files?.[0];
          if (file) onPick(file);
        }}
      />
      <label
        for={id}
        class={`dropzone dropzone-small${over ? ' dropzone-over' : ''}`}
        onDragOver={(event) => {
          event.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(event) => {
          event.preventDefault();
          setOver(false);
          const file = event.dataTransfer?.files[0];
          if (file) onPick(file);
        }}
      >
        <strong>{label}</strong>
        <small>drop a photo or choose a file</small>
      </label>
    </>
  );
}
