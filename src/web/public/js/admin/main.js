// The owner dashboard: log in with the admin token, then overview, catalog, adding products,
// unmet demand and training, one section at a time (the section name is the URL hash).
import { html, render, useEffect, useRef, useState } from '/vendor/preact-htm.js';
import { AddProduct } from './add-product.js';
import { api, ApiError, token, whenUnauthorized } from './api.js';
import { Catalog } from './catalog.js';
import { UnmetDemand } from './demand.js';
import { Overview } from './overview.js';
import { Training } from './training.js';

const SECTIONS = [
  { id: 'overview', label: 'Overview', view: Overview },
  { id: 'catalog', label: 'Catalog', view: Catalog },
  { id: 'add', label: 'Add product', view: AddProduct },
  { id: 'demand', label: 'Unmet demand', view: UnmetDemand },
  { id: 'training', label: 'Training', view: Training },
];

const sectionFromHash = () => SECTIONS.find((s) => `#${s.id}` === location.hash)?.id ?? 'overview';

function App() {
  const [authed, setAuthed] = useState(Boolean(token.get()));
  const [section, setSection] = useState(sectionFromHash());
  useEffect(() => {
    whenUnauthorized(() => {
      token.clear();
      setAuthed(false);
    });
    const onHash = () => setSection(sectionFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  if (!authed) return html`<${Login} onLogin=${() => setAuthed(true)} />`;
  const current = SECTIONS.find((s) => s.id === section);
  const View = current.view;
  const logout = () => {
    token.clear();
    setAuthed(false);
  };
  return html`
    <header class="topbar">
      <p class="brand">ShopLens <span>Owner dashboard</span></p>
      <nav aria-label="Dashboard sections">
        <ul>
          ${SECTIONS.map((s) => html`
            <li key=${s.id}><a href=${`#${s.id}`} aria-current=${s.id === section ? 'page' : undefined}>${s.label}</a></li>`)}
        </ul>
      </nav>
      <div class="topbar-actions">
        <a href="/" target="_blank" rel="noopener">Open the chat</a>
        <button type="button" onClick=${logout}>Log out</button>
      </div>
    </header>
    <main class="content" id="main">
      <h1 class="section-title">${current.label}</h1>
      <${View} key=${section} go=${(id) => (location.hash = id)} />
    </main>`;
}

function Login({ onLogin }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const inputRef = useRef(null);
  useEffect(() => inputRef.current?.focus(), []);
  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    token.set(value.trim());
    try {
      await api('/api/admin/stats');
      onLogin();
    } catch (failure) {
      token.clear();
      setError(failure instanceof ApiError && failure.status === 401 ? 'That token is not right. Copy it again from the terminal or from DATA_DIR/admin-token.' : failure.message);
    } finally {
      setBusy(false);
    }
  }
  return html`
    <main class="login">
      <form class="panel login-panel" onSubmit=${submit}>
        <h1>ShopLens owner dashboard</h1>
        <p class="muted">Paste the admin token <code>npm start</code> printed on first start (it is also in <code>data/admin-token</code>, or <code>ADMIN_TOKEN</code> if you set one).</p>
        <label for="token">Admin token</label>
        <input id="token" ref=${inputRef} type="password" autocomplete="current-password" required value=${value}
          onInput=${(event) => setValue(event.currentTarget.value)} aria-describedby=${error ? 'login-error' : undefined} />
        ${error && html`<p id="login-error" class="form-error" role="alert">${error}</p>`}
        <button type="submit" class="primary" disabled=${busy || value.trim() === ''}>${busy ? 'Checking…' : 'Log in'}</button>
      </form>
    </main>`;
}

render(html`<${App} />`, document.getElementById('app'));
