import { useImage } from '../hooks.ts';

/** A reference's enrolled face, from GET /references/{key}/face. */
export function Face({ refKey, size, alt }: { refKey: string; size: number; alt: string }) {
  const { url, error } = useImage(
    `/references/${encodeURIComponent(refKey)}/face?size=${size * 2}`,
  );
  const className = `face face-${size}`;
  if (error)
    return (
      <span
        class={`${className} face-missing`}
        role="img"
        aria-label={`${alt}: ${error.message}`}
      />
    );
  if (!url)
    return <span class={`${className} face-loading`} role="img" aria-label={`${alt}, loading`} />;
  return <img class={className} src={url} alt={alt} width={size} height={size} />;
}
