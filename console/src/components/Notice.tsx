import type { ComponentChildren } from 'preact';

export function ErrorNote({ error }: { error?: Error }) {
  if (!error) return null;
  return (
    <p class="notice notice-error" role="alert">
      {error.message}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="notice">{children}</p>;
}
