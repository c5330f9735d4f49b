// Overview: the shop's figures (the same as /stats), four charts rendered by the server, and the
// demo catalog switch for a first start.
import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { api, AuthImage, percent, when } from './api.js';

const CHARTS = [
  { name: 'searches', title: 'Searches per day, by channel' },
  { name: 'latency', title: 'Photo → answer time (p50 / p95)' },
  { name: 'no-match', title: 'Searches without a match' },
  { name: 'categories', title: 'Top categories of matched searches' },
];

export function Overview({ go }) {
  const [stats, setStats] = useState(null);
  const [error, setError] = useState(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    api('/api/admin/stats').then(setStats, (failure) => setError(failure.message));
  }, [version]);
  if (error) return html`<p class="form-error" role="alert">${error}</p>`;
  if (!stats) return html`<p class="muted" aria-busy="true">Loading…</p>`;
  const ms = (value) => (value === null ? '–' : `${Math.round(value)} ms`);
  const tiles = [
    ['Products', stats.products, `${stats.activeProducts} active · ${stats.categories} categories`],
    ['In stock', stats.inStock, `${stats.images} photos`],
    ['Searches', stats.searchesLast24h, `in 24 h · ${stats.searchesLast7d} in 7 days · ${stats.searches} total`],
    ['No match', stats.searches === 0 ? '–' : percent(stats.noMatchSearches / stats.searches), `${stats.noMatchSearches} of ${stats.searches} searches`],
    ['Photo → answer', ms(stats.imageLatencyP50Ms), `median · p95 ${ms(stats.imageLatencyP95Ms)}`],
    ['Category head', stats.classifier ? percent(stats.classifier.valAccuracy) : '–', stats.classifier ? `${stats.classifier.recipe} recipe, validation accuracy` : 'not trained yet'],
  ];
  return html`
    <${DemoBox} stats=${stats} onChange=${() => setVersion((v) => v + 1)} go=${go} />
    <section aria-labelledby="figures-title">
      <h2 id="figures-title" class="visually-hidden">Figures</h2>
      <ul class="tiles">
        ${tiles.map(([label, value, detail]) => html`
          <li class="tile" key=${label}><p class="tile-label">${label}</p><p class="tile-value">${value}</p><p class="tile-detail">${detail}</p></li>`)}
      </ul>
      <p class="muted model-line">Backbone <code>${stats.backboneModelId}</code>${' — '}${stats.pretrained ? 'pretrained on ImageNet' : html`<strong>generated weights</strong>: matches are only meaningful for near-identical photos`}${` · database ${stats.database}`}</p>
    </section>
    <${Channels} version=${version} />
    <section aria-labelledby="charts-title">
      <h2 id="charts-title" class="subtitle">Last 30 days</h2>
      ${stats.searches === 0 ? html`<p class="panel muted">No searches yet: the charts appear after the first customer search.</p>` : html`
      <div class="charts">
        ${CHARTS.map((chart) => html`
          <figure class="panel chart" key=${chart.name}>
            <figcaption>${chart.title}</figcaption>
            <${AuthImage} src=${`/api/admin/charts/${chart.name}.svg?days=30&v=${version}`} alt=${`Chart: ${chart.title}`} />
          </figure>`)}
      </div>`}
    </section>`;
}

function DemoBox({ stats, onChange, go }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  async function run(method) {
    setBusy(true);
    setError(null);
    try {
      await api('/api/admin/demo', { method });
      onChange();
    } catch (failure) {
      setError(failure.message);
    } finally {
      setBusy(false);
    }
  }
  if (stats.demoProducts > 0) {
    return html`
      <section class="panel demo-box" aria-labelledby="demo-title">
        <h2 id="demo-title">Demo catalog loaded</h2>
        <p>${stats.demoProducts} demo products (names start with “Demo”) are in your catalog. Try them in the chat, then remove them before adding your own.</p>
        <div class="row">
          <a class="button-link" href="/" target="_blank" rel="noopener">Try it in the chat</a>
          <button type="button" class="danger" disabled=${busy} onClick=${() => run('DELETE')}>${busy ? 'Removing…' : 'Remove demo catalog'}</button>
        </div>
        ${error && html`<p class="form-error" role="alert">${error}</p>`}
      </section>`;
  }
  if (stats.products > 0) return null;
  return html`
    <section class="panel demo-box" aria-labelledby="demo-title">
      <h2 id="demo-title">Your catalog is empty</h2>
      <p>Add your first product, or load a demo catalog of 12 generated products to see a photo search work right away. It is clearly labelled and removed with one click.</p>
      <div class="row">
        <button type="button" class="primary" disabled=${busy} onClick=${() => run('POST')}>${busy ? 'Loading the demo…' : 'Load the demo catalog'}</button>
        <button type="button" onClick=${() => go('add')}>Add a product</button>
      </div>
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
    </section>`;
}

/** Channels running beside the web server (Instagram): when they last heard from and wrote to customers. */
function Channels({ version }) {
  const [channels, setChannels] = useState([]);
  useEffect(() => {
    api('/api/admin/channels').then((data) => setChannels(data.channels), () => setChannels([]));
  }, [version]);
  if (channels.length === 0) return null;
  return html`
    <section aria-labelledby="channels-title">
      <h2 id="channels-title" class="subtitle">Channels</h2>
      ${channels.map((health) => html`
        <div class="panel channel-health" key=${health.channel}>
          <h3>${health.channel === 'instagram' ? 'Instagram Direct' : health.channel}
            ${health.lastError ? html` <span class="badge badge-out">problem</span>` : html` <span class="badge badge-ok">working</span>`}</h3>
          <p class="muted">Last message from Meta: ${health.lastWebhookAt ? when(health.lastWebhookAt) : 'none yet'} ·
            last reply sent: ${health.lastSentAt ? when(health.lastSentAt) : 'none yet'} ·
            ${health.sent} sent, ${health.failed} failed, ${health.outsideWindow} too late (24-hour window), ${health.pending} in progress</p>
          ${health.lastError && html`<p class="form-error">${when(health.lastError.at)}: ${health.lastError.message}</p>`}
        </div>`)}
    </section>`;
}
