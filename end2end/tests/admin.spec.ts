// Admin forms through the browser, in both projects; plus proof that hydration really happens.
import { expect, test } from '@playwright/test';
import { clientReady, signIn, signOut, synced, unlockOffline } from './helpers';

test('create a hub through the form, then see it listed', async ({ page }, info) => {
  const name = `E2E Depot ${info.project.name}`;
  await signIn(page, 'lm');
  await page.goto('/admin/hubs');
  await page.getByLabel('Hub name').fill(name);
  await page.getByLabel('Hub type').selectOption('SUB');
  await page.getByRole('button', { name: 'Create hub' }).click();
  await expect(page.getByRole('main').getByRole('status')).toHaveText(`Hub '${name}' created.`);
  await expect(page.getByRole('cell', { name, exact: true })).toBeVisible();
  await page.getByRole('button', { name: `Deactivate ${name}` }).click();
  await expect(page.getByRole('main').getByRole('status')).toHaveText(`Hub '${name}' is now Inactive.`);
  await signOut(page);
});

test('invalid item input is refused with the reason, and the entry is kept', async ({ page }) => {
  await signIn(page, 'clerk');
  await page.goto('/admin/items');
  await page.getByLabel('Item name').fill('Solar lantern');
  await page.getByLabel('Category').fill('Shelter');
  await page.getByLabel('Unit').fill('each');
  await page.getByLabel('Barcode (optional)').fill('876000' + '0001'); // taken by a demo item
  await page.getByRole('button', { name: 'Create item' }).click();
  await expect(page.getByRole('main').getByRole('alert')).toContainText('already used by another item');
  await expect(page.getByLabel('Item name')).toHaveValue('Solar lantern');
  await signOut(page);
});

test('the app hydrates: navigation happens in the page, without a reload', async ({ page }, info) => {
  test.skip(info.project.name !== 'hydrated', 'needs JavaScript');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, 'admin');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome, Ada Administrator');
  await page.waitForFunction(() => (window as any).__drimsHydrated === true);
  await page.evaluate(() => ((window as any).__sameDocument = true));
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Items' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Items');
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
  expect(errors).toEqual([]);
  await signOut(page);
});

// The online-only pages (admin, confirmations, history, notifications, preparing a needs list)
// are WASM files of their own (`cargo leptos --split`), loaded the first time one is shown: the
// client every device downloads and keeps for offline use holds only the offline pages.
test('an online-only page loads its own WASM file when first shown; offline, it says it needs a connection', async ({ page, context }, info) => {
  test.skip(info.project.name !== 'hydrated', 'needs JavaScript');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const pageFiles: string[] = [];
  page.on('request', (r) => {
    const name = new URL(r.url()).pathname;
    if (/^\/pkg\/(split_|chunk_)/.test(name)) pageFiles.push(name);
  });
  await signIn(page, 'admin');
  await clientReady(page);
  const main = page.getByRole('navigation', { name: 'Main' });
  await main.getByRole('link', { name: 'Inventory' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Inventory/);
  // The dashboard and an offline page needed none of the online pages' files.
  expect(pageFiles).toEqual([]);

  // Offline, an online-only page never loaded on this device: a clear message, and the client
  // keeps running (a failed load is not a panic).
  await context.setOffline(true);
  await main.getByRole('link', { name: 'Items' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('This page needs a connection');
  await expect(page.locator('[data-needs-connection]')).toContainText('could not load it');
  await main.getByRole('link', { name: 'Inventory' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Inventory/);

  // Online again: the page's file loads, and the page works in place, without a reload.
  await context.setOffline(false);
  await page.evaluate(() => ((window as any).__sameDocument = true));
  await main.getByRole('link', { name: 'Items' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Items');
  expect(pageFiles.some((f) => f.includes('online_items'))).toBe(true);
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
  // Its form posts as it does without JavaScript (and comes back with the reason).
  await page.getByLabel('Item name').fill('Water bladder 5,000 L');
  await page.getByLabel('Category').fill('WASH');
  await page.getByLabel('Unit').fill('each');
  await page.getByLabel('Barcode (optional)').fill('876000' + '0001'); // taken by a demo item
  await page.getByRole('button', { name: 'Create item' }).click();
  await expect(page.getByRole('main').getByRole('alert')).toContainText('already used by another item');
  await expect(page.getByLabel('Item name')).toHaveValue('Water bladder 5,000 L');
  // That answer is a page load of an online-only page: it hydrates once its file is loaded.
  await page.waitForFunction(() => (window as any).__drimsHydrated === true);
  await page.evaluate(() => ((window as any).__sameDocument = true));
  await main.getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Users');
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);

  // The same when the app starts offline at such a page (the service worker's offline page).
  await context.setOffline(true);
  await page.goto('/admin/hubs');
  await unlockOffline(page, 'admin');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('This page needs a connection');
  await page.getByRole('link', { name: 'Back to the dashboard' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome, Ada Administrator');
  // Online again without a reload: the offline page had no form token; the client takes it
  // from its session check, and a form posts (here: refused for its barcode, not its token).
  await context.setOffline(false);
  await synced(page);
  await main.getByRole('link', { name: 'Items' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Items');
  await page.getByLabel('Item name').fill('Tarpaulin 4x6 m');
  await page.getByLabel('Category').fill('Shelter');
  await page.getByLabel('Unit').fill('each');
  await page.getByLabel('Barcode (optional)').fill('876000' + '0001');
  await page.getByRole('button', { name: 'Create item' }).click();
  await expect(page.getByRole('main').getByRole('alert')).toContainText('already used by another item');
  // No panic ('unreachable') anywhere. The only errors are the offline attempts' fetches, which
  // cargo-leptos's generated loader leaves as unhandled rejections (it reports the failure to
  // the client, which shows the message above).
  expect(errors.filter((e) => e !== 'Failed to fetch')).toEqual([]);
});
