// Sign-in and role navigation, run by both projects: JavaScript disabled and hydrated.
import { expect, test } from '@playwright/test';
import { navLabels, signIn, signOut } from './helpers';

test('wrong password shows a clear message and keeps the username', async ({ page }) => {
  await signIn(page, 'admin', 'not-the-password');
  await expect(page.getByRole('main').getByRole('alert')).toHaveText('Incorrect username or password.');
  await expect(page.getByLabel('Username')).toHaveValue('admin');
});

test('admin signs in and sees the full navigation', async ({ page }) => {
  await signIn(page, 'admin');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome, Ada Administrator');
  expect(await navLabels(page)).toEqual([
    'Dashboard', 'Inventory', 'Intake', 'Distribution', 'Needs lists', 'Transfers', 'Confirmations', 'History', 'Sync issues', 'Notifications', 'Hubs', 'Items', 'Events', 'Users', 'Offline policy', 'Devices', 'Import offline work',
  ]);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Users');
  await expect(page.getByRole('cell', { name: 'Carl Clerk' })).toBeVisible();
  await signOut(page);
  await expect(page.getByRole('main').getByRole('status')).toHaveText('You have signed out.');
});

test('clerk sees only what a clerk may do', async ({ page }) => {
  await signIn(page, 'clerk');
  await expect(page.getByText('Inventory Clerk · St. Catherine Parish Depot')).toBeVisible();
  expect(await navLabels(page)).toEqual(['Dashboard', 'Inventory', 'Intake', 'Distribution', 'Needs lists', 'New needs list', 'Transfers', 'Confirmations', 'History', 'Sync issues', 'Notifications', 'Items']);
  await page.goto('/admin/users');
  await expect(page.getByRole('main').getByRole('alert')).toContainText('may not manage users');
  await signOut(page);
});

test('signed-out visitors are sent to sign in, then back where they were going', async ({ page }) => {
  await page.goto('/admin/hubs');
  await expect(page).toHaveURL(/\/login\?next=%2Fadmin%2Fhubs/);
  await page.getByLabel('Username').fill('lo');
  await page.getByLabel('Password').fill('drims-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/admin\/hubs$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hubs');
  await signOut(page);
});
