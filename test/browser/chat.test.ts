/**
 * The customer chat in a real browser (Debian's Chromium): a photo attached, dropped or pasted
 * finds the right product first; "More like this" and "Show more" continue the conversation; text
 * search, plain-words errors, Russian texts, and every control usable without sight or a mouse.
 * Screenshots land in test-artifacts/.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { seedCatalog } from '../helpers/bot-fixtures.ts';
import { browserSkipReason, launchBrowser, screenshot, unlabelled, type TestBrowser } from '../helpers/browser.ts';
import { customerPhoto } from '../helpers/colour-model.ts';
import { startWebHarness, type WebHarness } from '../helpers/web-fixtures.ts';

const RED_PHOTO = path.join(os.tmpdir(), `shoplens-chat-red-${process.pid}.jpg`);

/** Dispatches a drop (or paste) of a JPEG on the page, as a person dragging a file in would. */
async function deliverFile(page: Page, how: 'drop' | 'paste', jpeg: Buffer): Promise<void> {
  await page.evaluate(`(() => {
    const bytes = Uint8Array.from(atob('${jpeg.toString('base64')}'), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], 'dragged.jpg', { type: 'image/jpeg' }));
    if ('${how}' === 'paste') {
      document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    } else {
      window.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }
  })()`);
}

/** Presses Tab until the focused element's `label` (aria-label, else id) is `wanted`; fails after 30 presses. */
async function tabTo(page: Page, wanted: string): Promise<void> {
  for (let i = 0; i < 30; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<string>('document.activeElement?.getAttribute("aria-label") || document.activeElement?.id || ""');
    if (focused === wanted) return;
  }
  assert.fail(`Tab never reached ${wanted}`);
}

const cardNames = (page: Page) => page.locator('.message.type-results').last().locator('.card-name').allInnerTexts();

describe('customer chat in a browser', { skip: browserSkipReason() }, () => {
  let h: WebHarness;
  let browser: TestBrowser;
  before(async () => {
    h = await startWebHarness();
    await seedCatalog(h.assistant);
    await writeFile(RED_PHOTO, await customerPhoto(['#ff0000']));
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  it('answers an attached photo with the right product first, then "More like this" and "Show more"', async () => {
    const context = await browser.context({ phone: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    await page.goto(`${h.url}/`);
    await page.getByRole('log').waitFor();
    assert.match(await page.getByRole('log').innerText(), /Send me a photo/);
    await screenshot(page, 'chat-empty', { fullPage: false });

    await page.locator('input[type=file]:not([capture])').setInputFiles(RED_PHOTO);
    await page.getByRole('img', { name: 'Photo to send' }).waitFor();
    await screenshot(page, 'chat-preview', { fullPage: false });
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.message.type-results .card').first().waitFor();
    const first = await cardNames(page);
    assert.equal(first.length, 5);
    assert.match(first[0]!, /#1\s+Red dress/);
    const card = page.locator('.card').first();
    assert.match(await card.innerText(), /€49\.90/);
    assert.match(await card.innerText(), /3 in stock/);
    assert.equal(await card.getByRole('link', { name: 'View in shop' }).getAttribute('href'), 'https://shop.example/red-dress');
    assert.equal(await card.getByRole('img').getAttribute('alt'), 'Red dress');
    await screenshot(page, 'chat-results', { fullPage: false });

    await page.getByRole('button', { name: 'Show more ▸' }).click();
    await page.locator('.message.type-results').nth(1).locator('.card').first().waitFor();
    const second = await cardNames(page);
    assert.match(second[0]!, /^#6 /);
    assert.ok(second.every((name) => !first.includes(name)));

    await page.getByRole('button', { name: 'More like #1: Red dress' }).click();
    await page.locator('.message.type-results').nth(2).locator('.card').first().waitFor();
    const similar = await cardNames(page);
    assert.ok(similar.length > 0 && similar.every((name) => !/Red dress/.test(name)), similar.join(', '));
    assert.deepEqual(await unlabelled(page), []);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('takes a dropped or pasted photo, and searches by text with the keyboard alone', async () => {
    const context = await browser.context();
    const page = await context.newPage();
    await page.goto(`${h.url}/`);
    await page.getByRole('log').waitFor();
    await deliverFile(page, 'drop', await customerPhoto(['#00ff00']));
    await page.getByRole('img', { name: 'Photo to send' }).waitFor();
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.message.type-results .card').first().waitFor();
    assert.match((await cardNames(page))[0]!, /Green hat/);

    await deliverFile(page, 'paste', await customerPhoto(['#0000ff']));
    await page.getByRole('img', { name: 'Photo to send' }).waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.message.type-results').nth(1).locator('.card').first().waitFor();
    assert.match((await cardNames(page))[0]!, /Blue jeans/);

    // Keyboard only: Tab from the top reaches the attach button (a file chooser opens) and the text box.
    await page.locator('body').focus();
    const chooser = page.waitForEvent('filechooser');
    await tabTo(page, 'Choose a photo');
    await page.keyboard.press('Enter');
    await chooser;
    await tabTo(page, 'query');
    await page.keyboard.type('blouse');
    await page.keyboard.press('Enter');
    await page.locator('.message.type-results').nth(2).locator('.card').first().waitFor();
    assert.match((await cardNames(page))[0]!, /Yellow blouse/);
    await context.close();
  });

  it('says what went wrong in plain words: not a picture, nothing similar', async () => {
    const context = await browser.context({ phone: true });
    const page = await context.newPage();
    await page.goto(`${h.url}/`);
    await page.getByRole('log').waitFor();
    const notes = path.join(os.tmpdir(), `shoplens-notes-${process.pid}.txt`);
    await writeFile(notes, 'shopping list');
    await page.locator('input[type=file]:not([capture])').setInputFiles(notes);
    await page.getByRole('alert').filter({ hasText: 'not a picture' }).waitFor();
    await page.locator('input[type=file]:not([capture])').setInputFiles({ name: 'fake.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not really a jpeg') });
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('alert').filter({ hasText: "couldn't read that picture" }).waitFor();
    await page.locator('input[type=file]:not([capture])').setInputFiles({ name: 'cyan.jpg', mimeType: 'image/jpeg', buffer: await customerPhoto(['#00ffff']) });
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.message.type-advice').filter({ hasText: 'couldn\'t find anything that looks similar' }).waitFor();
    await screenshot(page, 'chat-errors', { fullPage: false });
    await context.close();
  });

  it('speaks Russian to a Russian browser, with the core’s own texts in answers', async () => {
    const context = await browser.context({ locale: 'ru-RU', phone: true });
    const page = await context.newPage();
    await page.goto(`${h.url}/`);
    await page.getByRole('log').waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'ru');
    assert.match(await page.getByRole('log').innerText(), /Пришлите фото/);
    await page.locator('input[type=file]:not([capture])').setInputFiles(RED_PHOTO);
    await page.getByRole('button', { name: 'Отправить' }).click();
    await page.locator('.message.type-results .card').first().waitFor();
    const answer = await page.locator('.message.type-results').innerText();
    assert.match(answer, /Вот что я нашёл/);
    assert.match(answer, /Похожие на №1/);
    assert.match(answer, /№1\s+Red dress/);
    assert.match(answer, /49,90\s€/);
    await page.getByRole('button', { name: 'Ещё ▸' }).waitFor();
    await screenshot(page, 'chat-results-ru', { fullPage: false });
    await context.close();
  });
});
