// Training: start a run and watch it (server-sent events), browse past runs with their curves
// and confusion matrices, promote a head or roll back to the previous one.
import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { api, AuthImage, percent, streamEvents, when } from './api.js';

export function Training() {
  const [runs, setRuns] = useState(null);
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState(null);
  const [message, setMessage] = useState(null);
  const [error, setError] = useState(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    api('/api/admin/training/runs?limit=20').then((data) => {
      setRuns(data.runs);
      if (data.running && !running) void follow('GET', '/api/admin/training/events');
    }, (failure) => setError(failure.message));
  }, [version]);

  function onEvent(event) {
    if (event.type === 'started') setProgress({ label: 'Starting…', value: 0, max: 1 });
    else if (event.type === 'progress' && event.phase === 'features') {
      setProgress({ label: `Reading photos: ${event.done} of ${event.total}`, value: event.done, max: Math.max(1, event.total) });
    } else if (event.type === 'progress' && event.phase === 'epoch') {
      setProgress({ label: `Epoch ${event.epoch} of ${event.epochs} — validation accuracy ${percent(event.valAccuracy)}`, value: event.epoch, max: event.epochs });
    } else if (event.type === 'finished' && event.status === 'success') {
      setMessage(`Finished: validation accuracy ${percent(event.valAccuracy)} on ${event.classes.length} categories — ${event.promoted ? 'promoted, search uses it now' : `kept the current head (${event.promotionReason})`}.`);
    } else if (event.type === 'finished') setMessage(`Skipped: ${event.reason}`);
    else if (event.type === 'failed') setError(`Training failed: ${event.error}`);
  }

  async function follow(method, path) {
    setRunning(true);
    setError(null);
    setMessage(null);
    try {
      await streamEvents(path, { method, onEvent });
    } catch (failure) {
      setError(failure.message);
    } finally {
      setRunning(false);
      setProgress(null);
      setVersion((v) => v + 1);
    }
  }

  async function act(path, done) {
    setError(null);
    try {
      const { head } = await api(path, { method: 'POST' });
      setMessage(done(head));
      setVersion((v) => v + 1);
    } catch (failure) {
      setError(failure.message);
    }
  }

  return html`
    <section class="panel" aria-labelledby="train-title">
      <h2 id="train-title" class="subtitle">Category head</h2>
      <p class="muted">Training fits a small classifier on your catalog photos (categories with at least a few photos each); search then favours the category it recognises. It also runs by itself when the catalog changes.</p>
      <div class="row">
        <button type="button" class="primary" disabled=${running} onClick=${() => follow('POST', '/api/admin/training')}>${running ? 'Training…' : 'Train now'}</button>
        <button type="button" disabled=${running} onClick=${() => act('/api/admin/training/rollback', (head) => `Rolled back: ${head.id} is active again.`)}>Roll back to the previous head</button>
      </div>
      <div aria-live="polite">
        ${progress && html`
          <div class="progress">
            <label for="train-progress">${progress.label}</label>
            <progress id="train-progress" max=${progress.max} value=${progress.value}>${Math.round((100 * progress.value) / progress.max)}%</progress>
          </div>`}
        ${message && html`<p class="success-line" role="status">${message}</p>`}
        ${error && html`<p class="form-error" role="alert">${error}</p>`}
      </div>
    </section>
    <section aria-labelledby="runs-title">
      <h2 id="runs-title" class="subtitle">Runs</h2>
      ${runs === null ? html`<p class="muted" aria-busy="true">Loading…</p>`
        : runs.length === 0 ? html`<p class="panel">No training runs yet.</p>`
        : html`<ol class="runs">${runs.map((run) => html`<${Run} key=${run.id} run=${run} onPromote=${(id) => act(`/api/admin/training/heads/${encodeURIComponent(id)}/promote`, (head) => `${head.id} is now active.`)} />`)}</ol>`}
    </section>`;
}

function Run({ run, onPromote }) {
  const status = { success: 'badge-ok', running: 'badge-demo', skipped: 'badge-low', failed: 'badge-out' }[run.status];
  return html`
    <li class="panel run">
      <header class="run-header">
        <h3>${when(run.startedAt)} <span class=${`badge ${status}`}>${run.status}</span>
          ${run.head?.active && html`<span class="badge badge-ok">active head</span>`}</h3>
        <p class="muted">Started from ${run.trigger}${run.recipe ? ` · ${run.recipe} recipe` : ''}${run.head ? ` · validation accuracy ${percent(run.head.valAccuracy)} on ${run.head.categories.length} categories` : ''}</p>
        ${run.reason && html`<p class="muted">${run.reason}</p>`}
        ${run.head && !run.head.active && html`<button type="button" onClick=${() => onPromote(run.head.id)}>Use this head<span class="visually-hidden"> (${run.head.id})</span></button>`}
      </header>
      ${(run.charts.curves || run.charts.confusion) && html`
        <div class="run-charts">
          ${run.charts.curves && html`<${AuthImage} className="curves" src=${run.charts.curves} alt=${`Loss and accuracy curves of run ${run.id}`} />`}
          ${run.charts.confusion && html`<${AuthImage} className="confusion" src=${run.charts.confusion} alt=${`Confusion matrix of run ${run.id}`} />`}
        </div>`}
    </li>`;
}
