// Admin forms through the browser, in both projects; plus proof that hydration really happens.
import { expect, test } from '@playwright/test';
import { signIn, signOut } from './helpers';

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
