import { useCallback, useEffect, useState } from 'preact/hooks';
import { auth, imageUrl } from './api.ts';

export interface Loaded<T> {
  data?: T;
  error?: Error;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change, or the key; keeps the last answer while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({
    loading: true,
  });
  const [round, setRound] = useState(0);
  // A new key may see what the last could not; a 401 or 403 alone changes nothing to reload for.
  useAuthVersion();
  const key = auth.key;
  useEffect(() => {
    let live = true;
    setState((before) => ({ data: before.data, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: Error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round, key]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { ...state, reload };
}

/** Re-renders when the key, or what it may do, changes. */
export function useAuthVersion(): number {
  const [version, setVersion] = useState(auth.version);
  useEffect(() => auth.subscribe(() => setVersion(auth.version)), []);
  return version;
}

/** An image of the API as an object URL, revoked when the component goes. */
export function useImage(path: string | null): { url?: string; error?: Error } {
  const [state, setState] = useState<{ url?: string; error?: Error }>({});
  useEffect(() => {
    if (!path) return;
    let url: string | undefined;
    let live = true;
    imageUrl(path).then(
      (made) => {
        url = made;
        if (live) setState({ url: made });
        else URL.revokeObjectURL(made);
      },
      (error: Error) => live && setState({ error }),
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [path]);
  return state;
}

/** A chosen file as a data: URL to show before it is sent (the CSP allows data: images). */
export function useFilePreview(file: File | null): string | undefined {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    setUrl(undefined);
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => setUrl(reader.result as string);
    reader.readAsDataURL(file);
    return () => reader.abort();
  }, [file]);
  return url;
}
