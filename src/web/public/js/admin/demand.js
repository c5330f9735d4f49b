// Unmet demand: small thumbnails of customer photos (from every channel) that found no match —
// what customers wanted that the shop does not have. Newest first, with a count per day.
import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { api, when } from './api.js';

export function UnmetDemand() {
  const [data, setData] = useState(null);
  const [photos, setPhotos] = useState([]);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(false);

  async function load(before) {
    setLoading(true);
    try {
      const page = await api(`/api/admin/unmet-demand?limit=48${before ? `&before=${before}` : ''}`);
      setData(page);
      setPhotos((current) => (before ? [...current, ...page.photos] : page.photos));
    } catch (failure) {
      setError(failure.message);
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => void load(), []);

  if (error) return html`<p class="form-error" role="alert">${error}</p>`;
  if (!data) return html`<p class="muted" aria-busy="true">Loading…</p>`;
  const max = Math.max(1, ...data.days.map((day) => day.photos));
  const total = data.days.reduce((sum, day) => sum + day.photos, 0);
  return html`
    <p class="lead">Photos customers sent that matched nothing in your catalog: ideas for what to stock next.</p>
    <p class="muted privacy">Customer photos are personal data: only small thumbnails are kept, never the photo or who sent it;
      only you can see them here, and they are deleted after ${data.retentionDays} days (<code>UNMET_DEMAND_RETENTION_DAYS</code>).</p>
    <section class="panel" aria-labelledby="per-day-title">
      <h2 id="per-day-title" class="subtitle">Per day, last ${data.days.length} days — ${total} photo${total === 1 ? '' : 's'}</h2>
      <ol class="day-bars">
        ${data.days.map((day) => html`
          <li key=${day.day} title=${`${day.day}: ${day.photos}`}>
            <span class="bar" style=${{ height: `${(day.photos / max) * 100}%` }}></span>
            <span class="visually-hidden">${day.day}: ${day.photos}</span>
          </li>`)}
      </ol>
      <p class="muted axis"><span>${data.days[0]?.day}</span><span>${data.days.at(-1)?.day}</span></p>
    </section>
    ${photos.length === 0
      ? html`<p class="panel">No unmatched photos${data.retentionDays === 0 ? ': recording is switched off (UNMET_DEMAND_RETENTION_DAYS=0).' : ' yet. When a customer’s photo finds nothing, its thumbnail appears here.'}</p>`
      : html`
        <ul class="gallery">
          ${photos.map((photo) => html`
            <li key=${photo.id}>
              <img src=${photo.thumbnail} alt=${`Unmatched customer photo from ${photo.channel}, ${when(photo.createdAt)}`} width=${photo.width} height=${photo.height} />
              <p><span class="channel">${photo.channel}</span> ${when(photo.createdAt)}</p>
            </li>`)}
        </ul>
        ${data.nextBefore && html`<button type="button" disabled=${loading} onClick=${() => load(data.nextBefore)}>${loading ? 'Loading…' : 'Show older photos'}</button>`}`}`;
}
