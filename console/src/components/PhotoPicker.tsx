import { DropZone } from './DropZone.tsx';

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
  return (
    <DropZone id={id} small onFiles={([file]) => onPick(file)}>
      <strong>{label}</strong>
      <small>drop a photo or choose a file</small>
    </DropZone>
  );
}
