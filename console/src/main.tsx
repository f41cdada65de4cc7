import { render } from 'preact';
import { useState } from 'preact/hooks';
import { auth, getJson } from './api.ts';
import { useAuthVersion, useLoad } from './hooks.ts';
import { Audit } from './pages/Audit.tsx';
import { Calibration } from './pages/Calibration.tsx';
import { People } from './pages/People.tsx';
import { Keys } from './pages/Keys.tsx';
import { Person } from './pages/Person.tsx';
import { Service } from './pages/Service.tsx';
import { Try } from './pages/Try.tsx';
import { href, useRoute, type Route } from './router.ts';
import './styles.css';

const NAV: { page: Route['page']; label: string; scope?: Parameters<typeof auth.may>[0] }[] = [
  { page: 'people', label: 'People', scope: 'read' },
  { page: 'try', label: 'Try it' },
  { page: 'calibration', label: 'Calibration' },
  { page: 'service', label: 'Service' },
  { page: 'audit', label: 'Audit trail', scope: 'admin' },
  { page: 'keys', label: 'Keys', scope: 'admin' },
];

function App() {
  useAuthVersion();
  const route = useRoute();
  // One cheap protected call tells whether the service wants a key (401) before any page asks.
  useLoad(() => getJson('/calibration'), []);
  const active = route.page === 'person' ? 'people' : route.page;
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <nav class="sidebar" aria-label="Console">
        <a class="brand" href={href('people')}>
          <span class="brand-mark" aria-hidden="true" />
          facegate
        </a>
        <ul>
          {NAV.filter((item) => !item.scope || auth.may(item.scope)).map((item) => (
            <li key={item.page}>
              <a href={href(item.page)} aria-current={active === item.page ? 'page' : undefined}>
                {item.label}
              </a>
            </li>
          ))}
        </ul>
        {auth.key && (
          <button type="button" class="link sign-out" onClick={() => auth.signOut()}>
            Forget the API key
          </button>
        )}
        <a class="docs-link" href="/docs">
          API reference
        </a>
      </nav>
      <main id="main" tabIndex={-1}>
        {auth.needsKey ? <KeyForm /> : <Page route={route} />}
      </main>
    </div>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'people':
      return <People />;
    case 'person':
      return <Person subject={route.subject} />;
    case 'try':
      return <Try />;
    case 'calibration':
      return <Calibration />;
    case 'service':
      return <Service />;
    case 'audit':
      return <Audit />;
    case 'keys':
      return <Keys />;
  }
}

function KeyForm() {
  const [key, setKey] = useState('');
  return (
    <form
      class="key-form panel"
      onSubmit={(event) => {
        event.preventDefault();
        auth.signIn(key.trim());
      }}
    >
      <h1>API key</h1>
      <p>
        {auth.key
          ? 'The service did not accept that key. Enter another one.'
          : 'This service asks for an API key. It is kept in this tab only (sessionStorage) and sent as X-API-Key.'}
      </p>
      <label class="field">
        <span>Key</span>
        <input
          type="password"
          autoComplete="off"
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
          required
        />
      </label>
      <div class="actions">
        <button type="submit" class="primary">
          Open the console
        </button>
      </div>
    </form>
  );
}

render(<App />, document.getElementById('app')!);
