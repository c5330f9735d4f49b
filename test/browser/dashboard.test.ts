/**
 * The owner dashboard in a real browser, from a first start: log in with the token, load the demo
 * catalog and find a sample in the chat, set a stock to 0 and see it leave the next customer
 * search, add a product with photos and find it in the chat, train with live progress, see the
 * unmet-demand gallery, remove the demo. Every page is saved under test-artifacts/.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { browserSkipReason, launchBrowser, screenshot, unlabelled, type TestBrowser } from '../helpers/browser.ts';
import { customerPhoto } from '../helpers/colour-model.ts';
import { startWebHarness, TEST_ADMIN_TOKEN, type WebHarness } from '../helpers/web-fixtures.ts';

/** Sends `photo` from a fresh chat page and returns the names on the answer's cards (or its message). */
async function chatSearch(context: BrowserContext, url: string, photo: string): Promise<string[]> {
  const page = await context.newPage();
  await page.goto(`${url}/`);
  await page.locator('input[type=file]:not([capture])').setInputFiles(photo);
  await page.getByRole('button', { name: 'Send' }).click();
  const answer = page.locator('.message.from-bot').last();
  await page.locator('.message.type-searching').waitFor({ state: 'detached' });
  const names = await answer.locator('.card-name').allInnerTexts();
  const text = names.length > 0 ? names : [await answer.innerText()];
  await page.close();
  return text;
}

async function open(page: Page, section: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Dashboard sections' }).getByRole('link', { name: section }).click();
  await page.getByRole('heading', { level: 1, name: section }).waitFor();
}

describe('owner dashboard in a browser', { skip: browserSkipReason() }, () => {
  let h: WebHarness;
  let browser: TestBrowser;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  const photos = { sample: '', purple: path.join(os.tmpdir(), `shoplens-purple-${process.pid}.jpg`), cyan: path.join(os.tmpdir(), `shoplens-cyan-${process.pid}.jpg`) };

  before(async () => {
    h = await startWebHarness({ env: { TRAIN_MIN_IMAGES_PER_CATEGORY: '1' } });
    await writeFile(photos.purple, await customerPhoto(['#8000ff']));
    await writeFile(photos.cyan, await customerPhoto(['#00ffff']));
    browser = await launchBrowser();
    context = await browser.context();
    page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  it('logs in with the admin token only, keeping it out of the URL', async () => {
    await page.goto(`${h.url}/admin`);
    await page.getByLabel('Admin token').waitFor();
    await screenshot(page, 'admin-login');
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not right' }).waitFor();
    await page.getByLabel('Admin token').fill(TEST_ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    assert.doesNotMatch(page.url(), new RegExp(TEST_ADMIN_TOKEN));
    assert.equal(await page.evaluate<string | null>('sessionStorage.getItem("shoplens.adminToken")'), TEST_ADMIN_TOKEN);
    assert.equal(await page.evaluate<string | null>('localStorage.length ? "stored" : null'), null);
  });

  it('offers the demo catalog on an empty shop; a sample photo then finds its product in the chat', async () => {
    await page.getByRole('heading', { name: 'Your catalog is empty' }).waitFor();
    await screenshot(page, 'admin-overview-empty');
    await page.getByRole('button', { name: 'Load the demo catalog' }).click();
    await page.getByRole('heading', { name: 'Demo catalog loaded' }).waitFor();
    assert.match(await page.locator('.tiles').innerText(), /Products\s+12/);

    const chat = await context.newPage();
    await chat.goto(`${h.url}/`);
    const samples = chat.getByRole('button', { name: /Search with a photo of/ });
    await samples.first().waitFor();
    const label = (await samples.first().getAttribute('aria-label'))!.replace('Search with a photo of: ', '');
    await samples.first().click();
    await chat.getByRole('button', { name: 'Send' }).click();
    await chat.locator('.message.type-results .card').first().waitFor();
    assert.match((await chat.locator('.card-name').first().innerText()), new RegExp(`#1\\s+${label}`));
    await screenshot(chat, 'chat-demo', { fullPage: false });
    await chat.close();
  });

  it('shows the figures and charts', async () => {
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const charts = page.locator('.chart img');
    await charts.nth(3).waitFor();
    assert.equal(await charts.count(), 4);
    assert.match(await page.locator('.tiles').innerText(), /Searches\s+1/);
    assert.deepEqual(await unlabelled(page), []);
    await screenshot(page, 'admin-overview');
  });

  it('edits stock inline; a product at 0 leaves the next customer search', async () => {
    await open(page, 'Catalog');
    await page.getByLabel('Search', { exact: true }).fill('t-shirt');
    await page.getByText('1–3 of 3').waitFor();
    await screenshot(page, 'admin-catalog');
    const sample = path.join(os.tmpdir(), `shoplens-sample-${process.pid}.jpg`);
    const samples = (await (await fetch(`${h.url}/api/shop`)).json()) as { samples: { id: string; url: string }[] };
    const tshirt = samples.samples.find((s) => s.id === 'demo-tshirt-red')!;
    await writeFile(sample, Buffer.from(await (await fetch(`${h.url}${tshirt.url}`)).arrayBuffer()));
    assert.match((await chatSearch(context, h.url, sample))[0]!, /Demo red T-shirt/);

    const stock = page.getByLabel('Stock of Demo red T-shirt');
    await stock.fill('0');
    await stock.press('Enter');
    await page.getByRole('status').filter({ hasText: 'stock is now 0' }).waitFor();
    await page.locator('tr', { hasText: 'Demo red T-shirt' }).getByText('out of stock').waitFor();
    const after = await chatSearch(context, h.url, sample);
    assert.ok(after.every((name) => !/Demo red T-shirt/.test(name)), after.join(', '));

    const price = page.getByLabel(/Price of Demo blue T-shirt/);
    await price.fill('twelve');
    await price.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'price' }).waitFor();
    assert.equal(await price.inputValue(), '19.90');
    await price.fill('21,5');
    await price.press('Enter');
    await page.getByRole('status').filter({ hasText: 'price is now 21.50' }).waitFor();
    assert.deepEqual(await unlabelled(page), []);
  });

  it('adds a product with several photos, which the chat then finds', async () => {
    await open(page, 'Add product');
    await page.getByLabel('Name', { exact: true }).fill('Purple gloves');
    await page.getByLabel('Price', { exact: true }).fill('24.90');
    await page.getByLabel('Category', { exact: true }).fill('Gloves');
    await page.getByLabel('Stock', { exact: true }).fill('3');
    await page.locator('#p-photos').setInputFiles([
      { name: 'front.jpg', mimeType: 'image/jpeg', buffer: await customerPhoto(['#8000ff']) },
      { name: 'back.jpg', mimeType: 'image/jpeg', buffer: await customerPhoto(['#8000ff', '#ffffff']) },
    ]);
    await page.getByRole('img', { name: /Photo 2: back\.jpg/ }).waitFor();
    await screenshot(page, 'admin-add-product');
    await page.getByRole('button', { name: 'Add product' }).click();
    await page.getByRole('status').filter({ hasText: 'Purple gloves' }).waitFor();
    assert.match(await page.getByRole('status').filter({ hasText: 'Purple gloves' }).innerText(), /2 photos/);
    assert.match((await chatSearch(context, h.url, photos.purple))[0]!, /#1\s+Purple gloves/);

    await page.getByLabel('Name', { exact: true }).fill('Nameless');
    await page.getByRole('button', { name: 'Add product' }).click();
    const problems = await page.getByRole('alert').innerText();
    assert.match(problems, /Nothing was stored/);
    assert.match(problems, /price/);
    assert.match(problems, /photo/);
  });

  it('trains with live progress and shows the finished run with its charts', async () => {
    await open(page, 'Training');
    await page.getByText('No training runs yet.').waitFor();
    // Training this small catalog takes about a second: record every progress line the page shows.
    await page.evaluate(`(() => {
      window.__progress = [];
      new MutationObserver(() => {
        const label = document.querySelector('.progress label');
        if (label && window.__progress.at(-1) !== label.textContent) window.__progress.push(label.textContent);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);
    await page.getByRole('button', { name: 'Train now' }).click();
    await page.getByRole('status').filter({ hasText: 'Finished: validation accuracy' }).waitFor({ timeout: 120_000 });
    const progress = await page.evaluate<string[]>('window.__progress');
    assert.ok(progress.some((line) => /^Epoch \d+ of \d+/.test(line)), progress.join(' | '));
    await page.locator('.run').first().getByRole('img', { name: /Confusion matrix/ }).waitFor();
    assert.match(await page.locator('.run').first().innerText(), /success/);
    await page.locator('.run').first().getByRole('img', { name: /curves/ }).waitFor();
    await screenshot(page, 'admin-training');
  });

  it('shows unmatched customer photos as thumbnails with a count per day', async () => {
    const answer = await chatSearch(context, h.url, photos.cyan);
    assert.match(answer[0]!, /couldn't find anything/);
    await h.assistant.unmetDemand.settled();
    await open(page, 'Unmet demand');
    await page.getByRole('img', { name: /Unmatched customer photo from web/ }).waitFor();
    assert.match(await page.getByRole('heading', { name: /Per day/ }).innerText(), /1 photo/);
    assert.match(await page.locator('.privacy').innerText(), /deleted after 30 days/);
    assert.deepEqual(await unlabelled(page), []);
    await screenshot(page, 'admin-unmet-demand');
  });

  it('removes the demo catalog in one click, keeping the owner’s own product', async () => {
    await open(page, 'Overview');
    await page.getByRole('button', { name: 'Remove demo catalog' }).click();
    await page.getByRole('heading', { name: 'Demo catalog loaded' }).waitFor({ state: 'detached' });
    assert.match(await page.locator('.tiles').innerText(), /Products\s+1\b/);
    const shop = (await (await fetch(`${h.url}/api/shop`)).json()) as { demo: boolean };
    assert.equal(shop.demo, false);
    assert.deepEqual(errors, []);
  });
});
