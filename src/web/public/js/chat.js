// The customer chat: a photo (attached, taken with the camera, pasted or dropped) or a few words
// go to POST /api/search; answers come back as product cards with "More like this" and "Show more".
import { html, render, useEffect, useRef, useState } from '/vendor/preact-htm.js';
import { lang, megabytes, t } from './i18n.js';

document.documentElement.lang = lang;
document.title = t('title');

let nextId = 1;
const newId = () => nextId++;

/** POST JSON or a form to the API; resolves to `{ ok, status, data }`, or `{ network: true }`. */
async function post(path, body) {
  const init = body instanceof FormData
    ? { method: 'POST', body }
    : { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } };
  try {
    const response = await fetch(path, init);
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, data };
  } catch {
    return { network: true };
  }
}

function App() {
  const [messages, setMessages] = useState([{ id: newId(), from: 'bot', type: 'text', text: t('welcome') }]);
  const [shop, setShop] = useState(null);
  const [picture, setPicture] = useState(null);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [dragging, setDragging] = useState(false);
  const endRef = useRef(null);
  const inputRef = useRef(null);

  useEffect(() => {
    fetch('/api/shop').then((r) => r.json()).then(setShop).catch(() => setShop(null));
  }, []);
  useEffect(() => {
    // A new answer is read from its top (the best match first); anything else keeps the end in view.
    const last = document.querySelector('.messages > li:last-child');
    const behavior = matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth';
    if (last?.classList.contains('type-results')) last.scrollIntoView({ block: 'start', behavior });
    else endRef.current?.scrollIntoView({ block: 'end', behavior });
  }, [messages]);

  const append = (...items) => setMessages((list) => [...list, ...items]);
  const replace = (id, item) => setMessages((list) => list.map((m) => (m.id === id ? { ...item, id } : m)));
  const update = (id, change) => setMessages((list) => list.map((m) => (m.id === id ? { ...m, ...change } : m)));

  /** Shows `userItem`, a "searching…" bubble, then whatever the API answered in its place. */
  async function ask(userItem, path, body) {
    setBusy(true);
    const waiting = newId();
    append({ id: newId(), from: 'user', ...userItem }, { id: waiting, from: 'bot', type: 'searching' });
    const result = await post(path, body);
    replace(waiting, answerItem(result));
    setBusy(false);
  }

  function choose(file) {
    if (!file) return;
    if (file.type && !file.type.startsWith('image/')) {
      append({ id: newId(), from: 'bot', type: 'error', text: t('not_image') });
      return;
    }
    if (shop?.maxUploadBytes && file.size > shop.maxUploadBytes) {
      append({ id: newId(), from: 'bot', type: 'error', text: t('too_large', { size: megabytes(file.size), limit: megabytes(shop.maxUploadBytes) }) });
      return;
    }
    if (picture) URL.revokeObjectURL(picture.url);
    setPicture({ file, url: URL.createObjectURL(file) });
    inputRef.current?.focus();
  }

  function clearPicture() {
    if (picture) URL.revokeObjectURL(picture.url);
    setPicture(null);
  }

  async function submit(event) {
    event?.preventDefault();
    if (busy) return;
    if (picture) {
      const form = new FormData();
      form.append('image', picture.file, picture.file.name || 'photo.jpg');
      const shown = { type: 'photo', url: picture.url, name: picture.file.name };
      setPicture(null);
      await ask(shown, '/api/search', form);
      return;
    }
    const query = text.trim();
    if (query === '') return;
    setText('');
    await ask({ type: 'text', text: query }, '/api/search', { text: query });
  }

  async function trySample(sample) {
    const response = await fetch(sample.url);
    const blob = await response.blob();
    choose(new File([blob], `${sample.id}.jpg`, { type: 'image/jpeg' }));
  }

  const moreLike = (card) => ask({ type: 'text', text: t('similar_to', { n: card.number }) }, '/api/search/more', { moreLike: card.imageId });
  async function showMore(message) {
    update(message.id, { next: null });
    await ask({ type: 'text', text: t('next_page') }, '/api/search/more', message.next);
  }

  useEffect(() => {
    const onPaste = (event) => {
      const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
      if (file) {
        event.preventDefault();
        choose(file);
      }
    };
    const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
    const onDragOver = (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      setDragging(true);
    };
    const onDragLeave = (event) => {
      if (event.relatedTarget === null) setDragging(false);
    };
    const onDrop = (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      setDragging(false);
      choose(event.dataTransfer.files[0]);
    };
    document.addEventListener('paste', onPaste);
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('dragleave', onDragLeave);
    window.addEventListener('drop', onDrop);
    return () => {
      document.removeEventListener('paste', onPaste);
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('dragleave', onDragLeave);
      window.removeEventListener('drop', onDrop);
    };
  });

  return html`
    <header class="chat-header">
      <h1>${t('title')}</h1>
      <p>${t('tagline')}</p>
    </header>
    <main class="chat-main">
      <${ShopNotice} shop=${shop} onSample=${trySample} busy=${busy} />
      <ol class="messages" role="log" aria-live="polite" aria-relevant="additions text" aria-label=${t('messages')}>
        ${messages.map((m) => html`<${Message} key=${m.id} message=${m} busy=${busy} onMoreLike=${moreLike} onShowMore=${showMore} />`)}
      </ol>
      <div ref=${endRef} class="messages-end"></div>
    </main>
    <${Composer}
      picture=${picture} text=${text} busy=${busy} inputRef=${inputRef}
      onText=${setText} onChoose=${choose} onClear=${clearPicture} onSubmit=${submit} />
    ${dragging && html`<div class="drop-overlay" aria-hidden="true"><p>${t('drop_here')}</p></div>`}
  `;
}

/** The API's reply as a chat item. */
function answerItem(result) {
  if (result.network) return { from: 'bot', type: 'error', text: t('network') };
  const { data } = result;
  if (!result.ok) return { from: 'bot', type: 'error', text: data.error ?? t('network') };
  if (data.kind === 'results') return { from: 'bot', type: 'results', text: data.message, results: data.results, next: data.next };
  return { from: 'bot', type: data.kind === 'no-more' ? 'text' : 'advice', text: data.message };
}

function ShopNotice({ shop, onSample, busy }) {
  if (!shop) return null;
  if (shop.demo && shop.samples.length > 0) {
    return html`
      <section class="notice demo" aria-labelledby="demo-title">
        <p id="demo-title">${t('demo_banner')}</p>
        <ul class="samples">
          ${shop.samples.map((sample) => html`
            <li key=${sample.id}>
              <button type="button" class="sample" disabled=${busy} onClick=${() => onSample(sample)} aria-label=${t('demo_sample', { label: sample.label })}>
                <img src=${sample.url} alt="" width="64" height="64" />
              </button>
            </li>`)}
        </ul>
      </section>`;
  }
  if (shop.empty) {
    return html`
      <section class="notice empty">
        <p>${t('empty_shop')}</p>
        <p>${t('empty_owner')} <a href="/admin">${t('dashboard')}</a></p>
      </section>`;
  }
  return null;
}

function Message({ message, busy, onMoreLike, onShowMore }) {
  const who = message.from === 'user' ? t('you') : t('shop');
  return html`
    <li class=${`message from-${message.from} type-${message.type}`}>
      <span class="visually-hidden">${who}: </span>
      ${message.type === 'photo' && html`<${SentPhoto} message=${message} />`}
      ${message.type === 'searching' && html`<p class="searching" aria-busy="true"><span class="spinner" aria-hidden="true"></span>${t('searching')}</p>`}
      ${['text', 'advice', 'error'].includes(message.type) && html`<p role=${message.type === 'error' ? 'alert' : undefined}>${message.text}</p>`}
      ${message.type === 'results' && html`
        <p>${message.text}</p>
        <ul class="cards">
          ${message.results.map((card) => html`<${Card} key=${card.number} card=${card} busy=${busy} onMoreLike=${onMoreLike} />`)}
        </ul>
        ${message.next && html`<button type="button" class="show-more" disabled=${busy} onClick=${() => onShowMore(message)}>${t('show_more')}</button>`}`}
    </li>`;
}

/** The customer's own photo in the conversation; a file the browser cannot show becomes its name. */
function SentPhoto({ message }) {
  const [broken, setBroken] = useState(false);
  if (broken) {
    return html`<p class="sent-file"><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M21 12.5l-8.2 8.2a5.5 5.5 0 01-7.8-7.8l8.5-8.5a3.7 3.7 0 015.2 5.2l-8.5 8.5a1.8 1.8 0 01-2.6-2.6l7.9-7.9"/></svg>${message.name || t('your_photo')}</p>`;
  }
  return html`<img class="sent-photo" src=${message.url} alt=${t('your_photo')} onError=${() => setBroken(true)} />`;
}

function Card({ card, busy, onMoreLike }) {
  const low = card.stock <= 1;
  return html`
    <li class="card">
      ${card.imageUrl
        ? html`<img src=${card.imageUrl} alt=${card.name} loading="lazy" width="320" height="320" />`
        : html`<div class="no-photo" aria-hidden="true"></div>`}
      <div class="card-body">
        <h2 class="card-name"><span class="card-number">${t('card_number', { n: card.number })}</span> ${card.name}</h2>
        <p class="card-price">${card.priceText}</p>
        <p class=${`badge ${low ? 'badge-low' : 'badge-ok'}`}>${card.stockText}</p>
        <div class="card-actions">
          ${card.imageId !== null && html`
            <button type="button" disabled=${busy} onClick=${() => onMoreLike(card)} aria-label=${`${t('more_like', { n: card.number })}: ${card.name}`}>${t('more_like', { n: card.number })}</button>`}
          ${card.url && html`<a href=${card.url} target="_blank" rel="noopener noreferrer">${t('open')}</a>`}
        </div>
      </div>
    </li>`;
}

function Composer({ picture, text, busy, inputRef, onText, onChoose, onClear, onSubmit }) {
  const fileRef = useRef(null);
  const cameraRef = useRef(null);
  const pick = (ref) => ref.current?.click();
  const onFile = (event) => {
    onChoose(event.currentTarget.files[0]);
    event.currentTarget.value = '';
  };
  return html`
    <form class="composer" onSubmit=${onSubmit} aria-busy=${busy ? 'true' : 'false'}>
      ${picture && html`
        <figure class="preview">
          <img src=${picture.url} alt=${t('preview')} />
          <button type="button" class="icon-button remove" onClick=${onClear} aria-label=${t('remove')} title=${t('remove')}>✕</button>
        </figure>`}
      <div class="composer-row">
        <input ref=${fileRef} type="file" accept="image/*" class="visually-hidden" tabindex="-1" aria-hidden="true" onChange=${onFile} />
        <input ref=${cameraRef} type="file" accept="image/*" capture="environment" class="visually-hidden" tabindex="-1" aria-hidden="true" onChange=${onFile} />
        <button type="button" class="icon-button attach" onClick=${() => pick(fileRef)} aria-label=${t('attach')} title=${t('attach')}>
          <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M21 12.5l-8.2 8.2a5.5 5.5 0 01-7.8-7.8l8.5-8.5a3.7 3.7 0 015.2 5.2l-8.5 8.5a1.8 1.8 0 01-2.6-2.6l7.9-7.9"/></svg>
        </button>
        <button type="button" class="icon-button camera" onClick=${() => pick(cameraRef)} aria-label=${t('camera')} title=${t('camera')}>
          <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 8h3l2-3h6l2 3h3v11H4z"/><circle cx="12" cy="13" r="3.5"/></svg>
        </button>
        <label class="visually-hidden" for="query">${t('input')}</label>
        <input id="query" ref=${inputRef} class="text-input" type="text" autocomplete="off" enterkeyhint="search" maxlength="100"
          placeholder=${t('placeholder')} value=${text} onInput=${(event) => onText(event.currentTarget.value)} />
        <button type="submit" class="icon-button send" disabled=${busy || (!picture && text.trim() === '')} aria-label=${t('send')} title=${t('send')}>
          <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 12l16-8-6 16-2.5-6.5z"/><path d="M11.5 13.5L20 4"/></svg>
        </button>
      </div>
    </form>`;
}

render(html`<${App} />`, document.getElementById('app'));
