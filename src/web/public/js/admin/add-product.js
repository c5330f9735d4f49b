// Adding a product with one or more photos (chosen, dropped or pasted); every field is checked by
// the server and all problems are shown at once.
import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { api } from './api.js';

const EMPTY = { name: '', sku: '', price: '', currency: '', category: '', stock: '1', url: '', description: '' };

export function AddProduct() {
  const [fields, setFields] = useState(EMPTY);
  const [photos, setPhotos] = useState([]);
  const [categories, setCategories] = useState([]);
  const [problems, setProblems] = useState([]);
  const [created, setCreated] = useState(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api('/api/admin/categories').then((data) => setCategories(data.categories), () => undefined);
  }, [created]);
  useEffect(() => () => photos.forEach((photo) => URL.revokeObjectURL(photo.url)), []);

  const set = (name) => (event) => setFields((current) => ({ ...current, [name]: event.currentTarget.value }));
  const addFiles = (files) => {
    const images = [...files].filter((file) => !file.type || file.type.startsWith('image/'));
    setPhotos((current) => [...current, ...images.map((file) => ({ file, url: URL.createObjectURL(file) }))]);
  };
  const removePhoto = (index) => setPhotos((current) => {
    URL.revokeObjectURL(current[index].url);
    return current.filter((_, i) => i !== index);
  });

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setProblems([]);
    setCreated(null);
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) if (value.trim() !== '') form.append(name, value.trim());
    for (const photo of photos) form.append('photos', photo.file, photo.file.name || 'photo.jpg');
    try {
      const { product } = await api('/api/admin/products', { method: 'POST', form });
      setCreated(product);
      photos.forEach((photo) => URL.revokeObjectURL(photo.url));
      setPhotos([]);
      setFields(EMPTY);
    } catch (failure) {
      setProblems(failure.body?.problems ?? [failure.message]);
    } finally {
      setBusy(false);
    }
  }

  return html`
    ${created && html`
      <div class="panel success" role="status">
        <p><strong>${created.name}</strong> (${created.sku}) was added with ${created.imageCount} photo${created.imageCount === 1 ? '' : 's'} and is searchable now.</p>
        <p><a href="/" target="_blank" rel="noopener">Try it in the chat</a> · <a href="#catalog">See the catalog</a></p>
      </div>`}
    <form class="panel product-form" onSubmit=${submit} onPaste=${(event) => event.clipboardData?.files.length && addFiles(event.clipboardData.files)} novalidate>
      ${problems.length > 0 && html`
        <div class="form-error" role="alert">
          <p>Nothing was stored:</p>
          <ul>${problems.map((problem) => html`<li key=${problem}>${problem}</li>`)}</ul>
        </div>`}
      <div class="grid-2">
        <div class="field"><label for="p-name">Name</label><input id="p-name" type="text" required maxlength="200" value=${fields.name} onInput=${set('name')} /></div>
        <div class="field"><label for="p-sku">SKU <span class="muted">(optional, made from the name)</span></label><input id="p-sku" type="text" maxlength="64" value=${fields.sku} onInput=${set('sku')} /></div>
        <div class="field"><label for="p-price">Price</label><input id="p-price" type="text" inputmode="decimal" required placeholder="49.90" value=${fields.price} onInput=${set('price')} /></div>
        <div class="field"><label for="p-currency">Currency <span class="muted">(optional, default: the shop's)</span></label><input id="p-currency" type="text" maxlength="3" placeholder="EUR" value=${fields.currency} onInput=${set('currency')} /></div>
        <div class="field">
          <label for="p-category">Category</label>
          <input id="p-category" type="text" required list="p-categories" maxlength="100" value=${fields.category} onInput=${set('category')} />
          <datalist id="p-categories">${categories.map((c) => html`<option key=${c.category} value=${c.category} />`)}</datalist>
        </div>
        <div class="field"><label for="p-stock">Stock</label><input id="p-stock" type="text" inputmode="numeric" required value=${fields.stock} onInput=${set('stock')} /></div>
        <div class="field span-2"><label for="p-url">Link <span class="muted">(optional)</span></label><input id="p-url" type="url" placeholder="https://" value=${fields.url} onInput=${set('url')} /></div>
        <div class="field span-2"><label for="p-description">Description <span class="muted">(optional)</span></label><textarea id="p-description" rows="3" value=${fields.description} onInput=${set('description')}></textarea></div>
      </div>
      <fieldset class="photos"
        onDragOver=${(event) => event.preventDefault()}
        onDrop=${(event) => {
          event.preventDefault();
          addFiles(event.dataTransfer.files);
        }}>
        <legend>Photos <span class="muted">(one or more; drop or paste them here too)</span></legend>
        <button type="button" onClick=${() => document.getElementById('p-photos').click()}>Choose photos</button>
        <input id="p-photos" class="visually-hidden" type="file" accept="image/*" multiple tabindex="-1" aria-hidden="true" onChange=${(event) => {
          addFiles(event.currentTarget.files);
          event.currentTarget.value = '';
        }} />
        <ul class="photo-previews">
          ${photos.map((photo, index) => html`
            <li key=${photo.url}>
              <img src=${photo.url} alt=${`Photo ${index + 1}: ${photo.file.name}`} />
              <button type="button" class="icon-button" onClick=${() => removePhoto(index)} aria-label=${`Remove photo ${index + 1}`}>✕</button>
            </li>`)}
        </ul>
      </fieldset>
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Adding…' : 'Add product'}</button>
    </form>`;
}
