// Intake then distribution change the inventory page and the dashboard (JS off and on).
import { expect, Page, test } from '@playwright/test';
import { signIn, signOut } from './helpers';

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

  await page.goto('/intake');
  await page.getByLabel('Item').selectOption({ label: `${item} (Shelter, each)` });
  await page.getByLabel('Quantity').fill('40');
  await page.getByLabel('Donor (optional)').fill('Digicel Foundation');
  await page.getByRole('button', { name: 'Record intake' }).click();
  await expect(page.getByRole('status')).toHaveText(`Received 40 each of ${item} at St. Catherine Parish Depot.`);

  await page.goto('/distribution');
  await page.getByLabel('Item').selectOption({ label: `${item} — 40 each available` });
  await page.getByLabel('Quantity').fill('55');
  await page.getByLabel('Beneficiary').fill('Old Harbour shelter');
  await page.getByRole('button', { name: 'Record distribution' }).click();
  await expect(page.getByRole('alert')).toHaveText(
    `Only 40 each of ${item} in stock at St. Catherine Parish Depot; 55 requested.`,
  );
  await expect(page.getByLabel('Beneficiary')).toHaveValue('Old Harbour shelter');
  await page.getByLabel('Quantity').fill('15');
  await page.getByRole('button', { name: 'Record distribution' }).click();
  await expect(page.getByRole('status')).toHaveText(`Distributed 15 each of ${item} from St. Catherine Parish Depot.`);

  expect(await onHand(page, item)).toBe('25 each');
  await page.goto('/');
  const recent = page.getByRole('table', { name: 'Recent movements' });
  await expect(recent.getByRole('row').filter({ hasText: item })).toHaveCount(2);
  await expect(recent.getByRole('row').filter({ hasText: item }).first()).toContainText('OUT');
  await signOut(page);
});
