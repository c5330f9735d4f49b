// The catalog: search, category/stock/status filters, sortable columns, paging; stock and price
// edited in place (Enter or leaving the field saves); hide and restore.
import { html, useEffect, useRef, useState } from '/vendor/preact-htm.js';
import { api } from './api.js';

const PAGE = 20;
const COLUMNS = [
  { id: 'name', label: 'Product' },
  { id: 'category', label: 'Category' },
  { id: 'price', label: 'Price' },
  { id: 'stock', label: 'Stock' },
  { id: 'updated', label: 'Updated' },
];

export function Catalog() {
  const [filters, setFilters] = useState({ search: '', category: '', stock: '', status: 'active' });
  const [sort, setSort] = useState({ by: 'name', direction: 'asc' });
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState(null);
  const [categories, setCategories] = useState([]);
  const [error, setError] = useState(null);
  const [status, setStatus] = useState('');
  const [version, setVersion] = useState(0);
  const searchTimer = useRef(null);

  useEffect(() => {
    api('/api/admin/categories').then((data) => setCategories(data.categories), () => undefined);
  }, [version]);
  useEffect(() => {
    const query = new URLSearchParams({ sort: sort.by, direction: sort.direction, limit: String(PAGE), offset: String(offset), status: filters.status });
    if (filters.search.trim()) query.set('search', filters.search.trim());
    if (filters.category) query.set('category', filters.category);
    if (filters.stock) query.set('stock', filters.stock);
    const controller = new AbortController();
    api(`/api/admin/products?${query}`, { signal: controller.signal }).then(
      (data) => {
        setPage(data);
        setError(null);
      },
      (failure) => failure.name !== 'AbortError' && setError(failure.message),
    );
    return () => controller.abort();
  }, [filters, sort, offset, version]);

  const filter = (name) => (event) => {
    const value = event.currentTarget.value;
    const apply = () => {
      setOffset(0);
      setFilters((current) => ({ ...current, [name]: value }));
    };
    clearTimeout(searchTimer.current);
    if (name === 'search') searchTimer.current = setTimeout(apply, 250);
    else apply();
  };
  const sortBy = (id) => {
    setOffset(0);
    setSort((current) => ({ by: id, direction: current.by === id && current.direction === 'asc' ? 'desc' : 'asc' }));
  };
  const changed = (message) => {
    setStatus(message);
    setVersion((v) => v + 1);
  };

  return html`
    <form class="filters" role="search" onSubmit=${(event) => event.preventDefault()}>
      <div class="field grow">
        <label for="f-search">Search</label>
        <input id="f-search" type="search" placeholder="Name, SKU or category" onInput=${filter('search')} />
      </div>
      <div class="field">
        <label for="f-category">Category</label>
        <select id="f-category" onChange=${filter('category')}>
          <option value="">All categories</option>
          ${categories.map((c) => html`<option key=${c.category} value=${c.category}>${c.category} (${c.products})</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="f-stock">Stock</label>
        <select id="f-stock" onChange=${filter('stock')}>
          <option value="">Any stock</option>
          <option value="in">In stock</option>
          <option value="out">Out of stock</option>
        </select>
      </div>
      <div class="field">
        <label for="f-status">Shown to customers</label>
        <select id="f-status" onChange=${filter('status')}>
          <option value="active">Shown</option>
          <option value="inactive">Hidden</option>
          <option value="all">All</option>
        </select>
      </div>
    </form>
    <p class="status-line" role="status">${status}</p>
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
    ${page && html`
      <div class="table-wrap">
        <table class="catalog">
          <caption class="visually-hidden">Products, sorted by ${sort.by} ${sort.direction === 'asc' ? 'ascending' : 'descending'}</caption>
          <thead>
            <tr>
              <th scope="col"><span class="visually-hidden">Photo</span></th>
              ${COLUMNS.map((col) => html`
                <th scope="col" key=${col.id} aria-sort=${sort.by === col.id ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}>
                  <button type="button" class="sort" onClick=${() => sortBy(col.id)}>
                    ${col.label}<span aria-hidden="true">${sort.by === col.id ? (sort.direction === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                  </button>
                </th>`)}
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            ${page.items.length === 0 && html`<tr><td colspan="7" class="empty-row">No products match.</td></tr>`}
            ${page.items.map((product) => html`<${Row} key=${product.sku} product=${product} onChanged=${changed} />`)}
          </tbody>
        </table>
      </div>
      <${Pager} page=${page} onOffset=${setOffset} />`}`;
}

function Row({ product, onChanged }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function save(field, value) {
    if (String(value).trim() === String(product[field])) return true;
    setBusy(true);
    setError(null);
    try {
      const { product: saved } = await api(`/api/admin/products/${encodeURIComponent(product.sku)}`, { method: 'PATCH', json: { [field]: value } });
      onChanged(`Saved: ${saved.name} — ${field} is now ${saved[field]}.`);
      return true;
    } catch (failure) {
      setError(failure.message);
      return false;
    } finally {
      setBusy(false);
    }
  }
  async function toggle() {
    setBusy(true);
    try {
      const path = `/api/admin/products/${encodeURIComponent(product.sku)}`;
      const { product: saved } = product.active ? await api(path, { method: 'DELETE' }) : await api(`${path}/restore`, { method: 'POST' });
      onChanged(saved.active ? `${saved.name} is shown to customers again.` : `${saved.name} is hidden from customers.`);
    } catch (failure) {
      setError(failure.message);
    } finally {
      setBusy(false);
    }
  }
  const stockBadge = product.stock === 0 ? html`<span class="badge badge-out">out of stock</span>` : null;
  return html`
    <tr class=${product.active ? '' : 'inactive'} aria-busy=${busy ? 'true' : 'false'}>
      <td class="thumb-cell">${product.imageUrl ? html`<img src=${product.imageUrl} alt="" width="48" height="48" loading="lazy" />` : null}</td>
      <th scope="row" class="name-cell">
        <span class="product-name">${product.name}</span>
        <span class="sku">${product.sku} · ${product.imageCount} photo${product.imageCount === 1 ? '' : 's'}</span>
        ${product.demo && html`<span class="badge badge-demo">demo</span>`}
        ${!product.active && html`<span class="badge badge-out">hidden</span>`}
        ${error && html`<span class="cell-error" role="alert">${error}</span>`}
      </th>
      <td>${product.category}</td>
      <td><${InlineEdit} label=${`Price of ${product.name} (${product.currency})`} value=${product.price} suffix=${product.currency} inputMode="decimal" onSave=${(v) => save('price', v)} /></td>
      <td><${InlineEdit} label=${`Stock of ${product.name}`} value=${String(product.stock)} inputMode="numeric" onSave=${(v) => save('stock', v)} /> ${stockBadge}</td>
      <td class="muted nowrap">${new Date(product.updatedAt).toLocaleDateString()}</td>
      <td class="nowrap">
        <button type="button" class=${product.active ? 'danger' : ''} disabled=${busy} onClick=${toggle}>
          ${product.active ? 'Hide' : 'Restore'}<span class="visually-hidden"> ${product.name}</span>
        </button>
      </td>
    </tr>`;
}

/** A text field that saves on Enter or when focus leaves it, and reverts on Escape or failure. */
function InlineEdit({ label, value, suffix, inputMode, onSave }) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const commit = async () => {
    if (draft.trim() === value) return;
    if (!(await onSave(draft.trim()))) setDraft(value);
  };
  return html`
    <span class="inline-edit">
      <input type="text" inputmode=${inputMode} aria-label=${label} value=${draft} size="7"
        onInput=${(event) => setDraft(event.currentTarget.value)}
        onBlur=${commit}
        onKeyDown=${(event) => {
          if (event.key === 'Enter') {
            event.preventDefault();
            event.currentTarget.blur();
          } else if (event.key === 'Escape') setDraft(value);
        }} />
      ${suffix && html`<span class="suffix" aria-hidden="true">${suffix}</span>`}
    </span>`;
}

function Pager({ page, onOffset }) {
  const first = page.total === 0 ? 0 : page.offset + 1;
  const last = Math.min(page.offset + page.limit, page.total);
  return html`
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled=${page.offset === 0} onClick=${() => onOffset(Math.max(0, page.offset - page.limit))}>‹ Previous</button>
      <p role="status">${first}–${last} of ${page.total}</p>
      <button type="button" disabled=${last >= page.total} onClick=${() => onOffset(page.offset + page.limit)}>Next ›</button>
    </nav>`;
}
