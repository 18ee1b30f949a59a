// Intake then distribution change the inventory page and the dashboard (JS off and on).
import { expect, Page, test } from '@playwright/test';
import { signIn, signOut, synced } from './helpers';

async function onHand(page: Page, item: string): Promise<string> {
  await page.goto('/inventory?q=' + encodeURIComponent(item));
  const row = page.getByRole('row').filter({ hasText: item });
  return (await row.getByRole('cell').nth(3).textContent())!.trim();
}

test('intake then distribution update inventory and dashboard', async ({ page }, info) => {
  // Each project uses its own item so the two runs do not interfere.
  const item = info.project.name === 'no-js' ? 'Sleeping mat' : 'Rope 30 m';
  await signIn(page, 'sub');
  expect(await onHand(page, item)).toBe('0 each');

  // Without JavaScript the forms post to the server; with it they go through the outbox
  // (saved on the device, then synced at once) and the server's answer comes back the same.
  const js = info.project.name === 'hydrated';
  await page.goto('/intake');
  // With JavaScript, wait for the client: a form submitted before it starts posts as plain HTML.
  if (js) await synced(page);
  await page.getByLabel('Item').selectOption({ label: `${item} (Shelter, each)` });
  await page.getByLabel('Quantity').fill('40');
  await page.getByLabel('Donor (optional)').fill('Digicel Foundation');
  await page.getByRole('button', { name: 'Record intake' }).click();
  await expect(page.getByRole('main').getByRole('status')).toHaveText(
    js ? 'Saved and synced.' : `Received 40 each of ${item} at St. Catherine Parish Depot.`,
  );

  await page.goto('/distribution');
  if (js) await synced(page);
  const distribute = async (qty: string) => {
    await page.getByLabel('Item').selectOption({ label: `${item} — 40 each available` });
    await page.getByLabel('Quantity').fill(qty);
    await page.getByLabel('Beneficiary').fill('Old Harbour shelter');
    await page.getByRole('button', { name: 'Record distribution' }).click();
  };
  await distribute('55');
  const refusal = `Only 40 each of ${item} in stock at St. Catherine Parish Depot; 55 requested.`;
  if (js) {
    await expect(page.getByRole('main').getByRole('alert')).toContainText(
      `Saved, but the server refused it: ${refusal}`,
    );
    await page.getByRole('main').getByRole('link', { name: 'Open Sync Issues' }).click();
    await expect(page.getByRole('region', { name: 'On this device' })).toContainText('stock_insufficient');
    await page.goto('/distribution');
    await synced(page);
    await distribute('15');
  } else {
    await expect(page.getByRole('main').getByRole('alert')).toHaveText(refusal);
    await expect(page.getByLabel('Beneficiary')).toHaveValue('Old Harbour shelter');
    await page.getByLabel('Quantity').fill('15');
    await page.getByRole('button', { name: 'Record distribution' }).click();
  }
  await expect(page.getByRole('main').getByRole('status')).toHaveText(
    js ? 'Saved and synced.' : `Distributed 15 each of ${item} from St. Catherine Parish Depot.`,
  );

  expect(await onHand(page, item)).toBe('25 each');
  await page.goto('/');
  const recent = page.getByRole('table', { name: 'Recent movements' });
  await expect(recent.getByRole('row').filter({ hasText: item })).toHaveCount(2);
  await expect(recent.getByRole('row').filter({ hasText: item }).first()).toContainText('OUT');
  await signOut(page);
});
