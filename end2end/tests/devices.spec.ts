// The device registry seen from the browser: a device revoked by an ADMIN while its tab is
// open is wiped (nothing of any user left in IndexedDB, nothing uploaded) and told why within
// the check interval, and the server records the wipe.
import { expect, test } from '@playwright/test';
import { api, clientReady, idbCounts, pending, pill, signIn } from './helpers';
import { behindGateway } from './servers';

const HUB = 3;

test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, 'the device check runs in the browser client');

/** Records in the device's IndexedDB, all stores together. */
async function records(page: import('@playwright/test').Page): Promise<number> {
  return Object.values(await idbCounts(page)).reduce((a, b) => a + b, 0);
}

test('a device revoked while its tab is open is wiped without upload and told why within the check interval', async ({ browser }) => {
  test.setTimeout(120_000);
  await behindGateway(browser, { name: 'revoke', port: 3091, gatewayPort: 3090, env: { DRIMS_DEVICE_CHECK_SECONDS: '5' } }, async ({ server, gw, ctx }) => {
    const page = await ctx.newPage();
    await signIn(page, 'sub');
    await clientReady(page);
    const device = await page.evaluate(() => localStorage.getItem('drims.device_id'));
    expect(device).toMatch(/^browser-/);

    // Work recorded with no network stays on the device...
    gw.cut();
    await expect(pill(page)).toContainText('Offline', { timeout: 15_000 });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Intake', exact: true }).click();
    await page.getByLabel('Item').selectOption({ label: 'Chainsaw (Tools, each)' });
    await page.getByLabel('Quantity').fill('4');
    await page.getByRole('button', { name: 'Record intake' }).click();
    await expect.poll(() => pending(page)).toBe(1);

    // ...when the laptop is reported lost and revoked.
    const admin = await api('admin', `http://127.0.0.1:${server.port}`);
    const revoked = await admin.post(`/api/devices/${device}/revoke`, { data: { reason: 'Reported stolen at Spanish Town' } });
    expect(revoked.status(), await revoked.text()).toBe(200);

    // Back on the network: within the interval, the device is wiped and says why.
    gw.restore();
    const back = Date.now();
    const told = page.getByRole('alert').filter({ hasText: 'This device has been revoked by an administrator.' });
    await expect(told).toBeVisible({ timeout: 30_000 });
    await expect(told).toContainText('Everything DRIMS kept on this device has been deleted.');
    console.log(`MEASURE revoked device wiped and told ${Date.now() - back} ms after it was back on the network (check every 5 s)`);
    await expect(page.getByRole('heading', { name: 'Sign in to DRIMS' })).toBeVisible();
    const left = await idbCounts(page);
    expect(Object.keys(left).length).toBeGreaterThan(0);
    for (const [store, count] of Object.entries(left)) expect(count, store).toBe(0);
    const storage = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('drims.')));
    expect(storage).toEqual(['drims.device_id']);

    // Nothing was uploaded; the server recorded the wipe; the device stays refused.
    const detail = await (await admin.get(`/api/devices/${device}`)).json();
    expect(detail.device.revoked).toBe(true);
    expect(detail.device.wipe_acknowledged_at).toBeTruthy();
    const csv = await (await admin.get(`/inventory/export.csv?hub=${HUB}&q=Chainsaw`)).text();
    expect(csv.split('\r\n').find((l) => l.split(',')[1] === 'Chainsaw')?.split(',')[4] ?? '0').toBe('0');
    await page.getByLabel('Username').fill('sub');
    await page.getByLabel('Password').fill('drims-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('main').getByRole('alert').filter({ hasText: 'revoked' }).last()).toBeVisible();
  });
});

test('a device not kept for offline use stores nothing of the user; with no network a form says Connection required and keeps the input', async ({ browser }) => {
  test.setTimeout(120_000);
  await behindGateway(browser, { name: 'online-only', port: 3093, gatewayPort: 3092 }, async ({ server, gw, ctx }) => {
    const page = await ctx.newPage();
    await signIn(page, 'sub', 'drims-demo', false);
    await page.goto('/inventory');
    await page.waitForFunction(() => (window as any).__drimsHydrated === true);
    await expect(pill(page)).toHaveAttribute('data-ready', 'true');
    await page.evaluate(() => navigator.serviceWorker.ready);

    // Nothing of the user on the device: no record in IndexedDB, only the device id in
    // localStorage, only the app shell in Cache Storage.
    const kept = await page.evaluate(async () => ({ local: Object.keys(localStorage), caches: await caches.keys() }));
    expect(await records(page)).toBe(0);
    expect(kept.local).toEqual(['drims.device_id']);
    for (const c of kept.caches) expect(c).toMatch(/^drims-shell-[0-9a-f]{16}$/);

    // No network: the form is not sent, says so, and keeps what was typed.
    await page.goto('/intake');
    await page.waitForFunction(() => (window as any).__drimsHydrated === true);
    await page.getByLabel('Item').selectOption({ label: 'Generator 5 kW (Tools, each)' });
    await page.getByLabel('Quantity').fill('6');
    await page.getByLabel('Notes (optional)').fill('Delivered by the parish council');
    gw.cut();
    await page.getByRole('button', { name: 'Record intake' }).click();
    const required = page.getByRole('alert').filter({ hasText: 'Connection required.' });
    await expect(required).toBeVisible({ timeout: 10_000 });
    await expect(page).toHaveURL(/\/intake$/);
    await expect(page.getByLabel('Quantity')).toHaveValue('6');
    await expect(page.getByLabel('Notes (optional)')).toHaveValue('Delivered by the parish council');

    // Back online, Retry sends it, once.
    gw.restore();
    await required.getByRole('button', { name: 'Retry' }).click();
    await expect(page.getByRole('main').getByRole('status')).toHaveText('Received 6 each of Generator 5 kW at St. Catherine Parish Depot.', { timeout: 10_000 });
    const admin = await api('admin', `http://127.0.0.1:${server.port}`);
    const csv = await (await admin.get(`/inventory/export.csv?hub=${HUB}&q=Generator`)).text();
    expect(csv.split('\r\n').find((l) => l.split(',')[1] === 'Generator 5 kW')?.split(',')[4]).toBe('6');
  });
});

test('switched to online-only by the ADMIN: the queue reaches the server first, then the device keeps nothing', async ({ browser }) => {
  test.setTimeout(120_000);
  await behindGateway(browser, { name: 'switch', port: 3095, gatewayPort: 3094, env: { DRIMS_DEVICE_CHECK_SECONDS: '5' } }, async ({ server, gw, ctx }) => {
    const page = await ctx.newPage();
    await signIn(page, 'sub');
    await clientReady(page);
    const device = await page.evaluate(() => localStorage.getItem('drims.device_id'));
    gw.cut();
    await expect(pill(page)).toContainText('Offline', { timeout: 15_000 });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Intake', exact: true }).click();
    await page.getByLabel('Item').selectOption({ label: 'Nails 1 kg (Tools, each)' });
    await page.getByLabel('Quantity').fill('9');
    await page.getByRole('button', { name: 'Record intake' }).click();
    await expect.poll(() => pending(page)).toBe(1);
    expect(await records(page)).toBeGreaterThan(1);

    const admin = await api('admin', `http://127.0.0.1:${server.port}`);
    const off = await admin.put(`/api/devices/${device}`, { data: { offline_enabled: false } });
    expect(off.status(), await off.text()).toBe(200);
    gw.restore();
    await expect.poll(() => records(page), { timeout: 30_000 }).toBe(0);
    const csv = await (await admin.get(`/inventory/export.csv?hub=${HUB}&q=Nails`)).text();
    expect(csv.split('\r\n').find((l) => l.split(',')[1] === 'Nails 1 kg')?.split(',')[4]).toBe('9');
    await expect(pill(page)).toHaveAttribute('data-unlocked', 'false');
    await expect(pill(page)).toHaveAttribute('data-pending', '0');
  });
});

test('a user deactivated while their tab is open is told to sign in again within the check interval', async ({ browser }) => {
  test.setTimeout(120_000);
  await behindGateway(browser, { name: 'deactivate', port: 3097, gatewayPort: 3096, env: { DRIMS_DEVICE_CHECK_SECONDS: '5' } }, async ({ server, ctx }) => {
    const admin = await api('admin', `http://127.0.0.1:${server.port}`);
    const made = await admin.post('/api/users', {
      data: { username: 'leaving', display_name: 'Lee Leaving', password: 'field-pass-1', role: 'SUB_HUB_USER', hub_id: HUB },
    });
    expect(made.status(), await made.text()).toBe(201);
    const user = await made.json();
    const page = await ctx.newPage();
    await signIn(page, 'leaving', 'field-pass-1', false);
    await page.goto('/inventory');
    await page.waitForFunction(() => (window as any).__drimsHydrated === true);
    await expect(pill(page)).toContainText('Online – Synced');

    const res = await admin.put(`/api/users/${user.id}`, {
      data: { username: 'leaving', display_name: 'Lee Leaving', role: 'SUB_HUB_USER', hub_id: HUB, active: false },
    });
    expect(res.status(), await res.text()).toBe(200);
    const at = Date.now();
    // No navigation, no browser event: the periodic check finds the session gone.
    await expect(pill(page)).toContainText('Online – Sign in to sync', { timeout: 15_000 });
    console.log(`MEASURE deactivated user told to sign in ${Date.now() - at} ms after the deactivation (check every 5 s)`);
    await page.reload();
    await expect(page).toHaveURL(/\/login/);
  });
});
