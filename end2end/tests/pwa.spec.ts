// The installable app in Chromium: the manifest and icons (no installability error), the
// shell served compressed and cached by content hash, a cold start from the installed profile
// with no network at all, what Cache Storage holds, and new versions: they wait for the user,
// never reload over unsaved input, reach every tab, and a failed download keeps the old one.
import { APIRequestContext, BrowserContext, chromium, expect, Page, test } from '@playwright/test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { api, clientReady, pending, pill, signIn, synced, unlockOffline } from './helpers';
import { Gateway, secondBuild, Server, tempDb } from './servers';

// St. Catherine Parish Depot (SUB), the demo `sub` user's hub.
const HUB = 3;

test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, 'the installable app needs the browser client');
test.describe.configure({ timeout: 180_000 });

/** The build the service worker controlling `page` belongs to. */
async function build(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (e) => resolve(e.data.build);
        navigator.serviceWorker.controller!.postMessage({ type: 'version' }, [channel.port2]);
      }),
  );
}

/** The precache list the current service worker script names. */
async function precacheList(api: APIRequestContext): Promise<{ url: string; sha256: string; bytes: number }[]> {
  const script = await (await api.get('/service-worker.js')).text();
  return JSON.parse(script.match(/const PRECACHE = (\[.*?\]);/)![1]);
}

async function checkForUpdate(page: Page) {
  await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    await reg!.update().catch(() => undefined);
  });
}

async function stockAt(api: APIRequestContext, item: string): Promise<number> {
  const res = await api.get(`/inventory/export.csv?hub=${HUB}&q=${encodeURIComponent(item)}`);
  expect(res.status()).toBe(200);
  const line = (await res.text()).split('\r\n').find((l) => l.split(',')[1] === item);
  return line ? Number(line.split(',')[4]) : 0;
}

/** Width and height of a PNG, from its header. */
function pngSize(bytes: Buffer): [number, number] {
  expect(bytes.subarray(1, 4).toString()).toBe('PNG');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

test('installable: manifest and icons, no installability error, the shell compressed and cached by content', async ({}, info) => {
  // A regular (not incognito) profile, as an installed app has.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'drims-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    ...(info.project.use.launchOptions ?? {}),
    baseURL: info.project.use.baseURL,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await installable(page, context);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});

async function installable(page: Page, context: BrowserContext) {
  await signIn(page, 'sub');
  await clientReady(page);
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  expect(installabilityErrors).toEqual([]);

  // Every page links the manifest; the manifest is complete.
  await expect(page.locator('link[rel="manifest"]')).toHaveAttribute('href', '/manifest.webmanifest');
  const manifest = await (await page.request.get('/manifest.webmanifest')).json();
  expect(manifest).toMatchObject({ name: expect.stringContaining('DRIMS'), short_name: 'DRIMS', start_url: '/', scope: '/', display: 'standalone' });
  expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/);
  expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/);
  const icons = new Map<string, [number, number]>();
  for (const icon of manifest.icons) {
    const res = await page.request.get(icon.src);
    expect(res.status(), icon.src).toBe(200);
    expect(res.headers()['content-type']).toBe('image/png');
    icons.set(`${icon.sizes} ${icon.purpose}`, pngSize(await res.body()));
  }
  expect(icons.get('192x192 any')).toEqual([192, 192]);
  expect(icons.get('512x512 any')).toEqual([512, 512]);
  expect(icons.get('512x512 maskable')).toEqual([512, 512]);

  // The shell: this build's content-hashed client, compressed; the pages link the same files.
  const list = await precacheList(page.request);
  const urls = list.map((e) => e.url);
  const html = await page.content();
  for (const linked of [...html.matchAll(/(?:href|src)="(\/pkg\/[^"]+)"/g)].map((m) => m[1])) {
    expect(urls, `${linked} is precached`).toContain(linked);
  }
  expect(urls).toEqual(expect.arrayContaining(['/offline.html', '/offline.js', '/manifest.webmanifest']));
  const wasm = list.find((e) => e.url.endsWith('.wasm'))!;
  expect(wasm.url).toMatch(/^\/pkg\/drims\.[A-Za-z0-9_-]{22}\.wasm$/);
  for (const encoding of ['br', 'gzip']) {
    const res = await page.request.get(wasm.url, { headers: { 'accept-encoding': encoding } });
    expect(res.headers()['content-encoding']).toBe(encoding);
    expect(res.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await res.body()).length).toBe(wasm.bytes);
  }
  for (const e of list.filter((e) => /\.(js|css|html|webmanifest)$/.test(e.url))) {
    const res = await page.request.get(e.url, { headers: { 'accept-encoding': 'br' } });
    expect(res.headers()['content-encoding'], e.url).toBe('br');
  }
  // Unhashed shell files are revalidated; pages and the API are never stored.
  expect((await page.request.get('/service-worker.js')).headers()['cache-control']).toBe('no-cache');
  expect((await page.request.get('/offline.html')).headers()['cache-control']).toBe('no-cache');
  for (const url of ['/', '/inventory', '/api/offline/snapshot', '/api/session']) {
    const res = await page.request.get(url);
    expect(res.headers()['cache-control'], url).toBe('no-store');
  }
  // Pages and JSON come compressed too.
  const snapshot = await page.request.get('/api/offline/snapshot', { headers: { 'accept-encoding': 'br' } });
  expect(snapshot.headers()['content-encoding']).toBe('br');
}

test('cold start with no network: the installed app opens, unlocks, records an intake synced once; Cache Storage holds no data', async ({ browser }, info) => {
  const db = tempDb('cold');
  let server = await Server.start(3051, db);
  const gw = await Gateway.start(3050);
  gw.target = server.port;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'drims-profile-'));
  const launch = { ...(info.project.use.launchOptions ?? {}), baseURL: gw.url };
  let ctx: BrowserContext | undefined;
  try {
    // An item only this test knows, at the hub, with a quantity no page shows by default.
    const admin = await api('admin', gw.url);
    const name = `Zephyr lantern ${Date.now() % 100000}`;
    const made = await admin.post('/api/items', { data: { name, category: 'Shelter', unit: 'each', min_qty: 1 } });
    expect(made.status(), await made.text()).toBe(201);
    const itemId = (await made.json()).id;
    const event = (await (await admin.get('/api/events')).json()).find((e: any) => e.status === 'Active').id;
    const stocked = await admin.post('/api/offline/sync', {
      data: {
        device_id: 'e2e-setup',
        operations: [{ id: crypto.randomUUID(), kind: 'intake', hub_id: HUB, created_at: new Date().toISOString(), device_id: 'e2e-setup', payload: { item_id: itemId, quantity: 7919, event_id: event } }],
      },
    });
    expect(stocked.status()).toBe(200);

    // Yesterday, online: signed in with the device kept ready for offline use, pages visited.
    ctx = await chromium.launchPersistentContext(profile, launch);
    let page = ctx.pages()[0] ?? (await ctx.newPage());
    await signIn(page, 'sub');
    await clientReady(page);
    for (const p of ['/inventory', '/intake', '/needs-lists', '/sync-issues', '/']) {
      await page.goto(p);
      await page.waitForFunction(() => (window as any).__drimsHydrated === true);
    }
    await page.goto('/inventory');
    await expect(page.getByRole('row').filter({ hasText: name })).toContainText('7919');
    // Kept ready for offline use: persistent storage was asked for; the page says what the
    // browser decided, and the space used.
    await page.goto('/sync-issues');
    const storage = page.getByRole('region', { name: "This device's storage" });
    const persisted = await page.evaluate(() => navigator.storage.persisted());
    await expect(storage.locator('[data-persisted]')).toHaveAttribute('data-persisted', String(persisted));
    await expect(storage).toContainText(`Persistent storage: ${persisted ? 'granted' : 'not granted'}`);
    const usage = Number(await storage.locator('[data-usage]').getAttribute('data-usage'));
    const quota = Number(await storage.locator('[data-usage]').getAttribute('data-quota'));
    expect(usage).toBeGreaterThan(0);
    expect(quota).toBeGreaterThan(usage);
    await expect(storage).toContainText(/Used \d+\.\d MB of \d+\.\d MB available to this site\./);

    // Cache Storage: only the shell's files, nothing from /api/, no item name, no quantity.
    const list = await precacheList(page.request);
    const cached: { url: string; text: string }[] = await page.evaluate(async () => {
      const out: { url: string; text: string }[] = [];
      for (const key of await caches.keys()) {
        const cache = await caches.open(key);
        for (const req of await cache.keys()) {
          const res = await cache.match(req);
          out.push({ url: `${key} ${new URL(req.url).pathname}`, text: new TextDecoder('latin1').decode(await res!.arrayBuffer()) });
        }
      }
      return out;
    });
    const build1 = await build(page);
    expect(cached.map((c) => c.url).sort()).toEqual(list.map((e) => `drims-shell-${build1} ${e.url}`).sort());
    for (const c of cached) {
      expect(c.url).not.toContain('/api/');
      expect(c.text.includes(name), `${c.url} holds the item's name`).toBe(false);
      if (!c.url.endsWith('.wasm')) expect(c.text.includes('7919'), `${c.url} holds a quantity`).toBe(false);
    }
    const shellBytes = list.reduce((n, e) => n + e.bytes, 0);
    await ctx.close();

    // This morning: browser restarted, no network before the first request.
    gw.cut();
    await server.stop();
    ctx = await chromium.launchPersistentContext(profile, launch);
    page = ctx.pages()[0] ?? (await ctx.newPage());
    const t0 = Date.now();
    await page.goto('/intake');
    await page.waitForFunction(() => (window as any).__drimsOfflineShell === true);
    await expect(page.getByLabel('Username')).toBeEditable();
    const toSignIn = Date.now() - t0;
    await page.getByLabel('Username').fill('sub');
    await page.getByLabel('Password').fill('drims-demo');
    const t1 = Date.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('button', { name: 'Record intake' })).toBeEnabled({ timeout: 10_000 });
    await expect(page.getByLabel('Item').locator('option', { hasText: name })).toHaveCount(1);
    const toIntake = Date.now() - t1;
    const kdf = Number(await page.evaluate(() => sessionStorage.getItem('drims.kdf_ms')));
    await page.getByLabel('Item').selectOption({ label: `${name} (Shelter, each)` });
    await page.getByLabel('Quantity').fill('5');
    await page.getByRole('button', { name: 'Record intake' }).click();
    await expect(page.getByRole('main').getByRole('status').last()).toHaveText('Saved - will sync.');
    await expect.poll(() => pending(page)).toBe(1);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Sub-Hub User dashboard (offline)' })).toBeVisible();
    console.log(
      `MEASURE cold start offline: navigation to an interactive sign-in form ${toSignIn} ms; ` +
        `unlock to an interactive intake form ${toIntake} ms, of which key derivation ${kdf.toFixed(0)} ms; ` +
        `precache ${list.length} files, ${shellBytes} bytes`,
    );

    // The network is back: synced once.
    server = await Server.start(3051, db);
    gw.restore();
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await synced(page, 30_000);
    expect(await stockAt(admin, name)).toBe(7924);
    const history = await (await admin.post('/api/fn/history', { form: { hub: String(HUB) } })).json();
    expect(history.movements.filter((m: any) => m.item === name).map((m: any) => `${m.direction} ${m.quantity}`)).toEqual(['IN 5', 'IN 7919']);
  } finally {
    await ctx?.close();
    await gw.stop();
    await Server.stopAll();
  }
});

test('a new version waits for the user, never reloads over unsaved input, reaches both tabs; a failed download keeps the old one', async ({ browser }) => {
  const db = tempDb('update');
  const sites: string[] = [];
  let server = await Server.start(3061, db);
  const gw = await Gateway.start(3060);
  gw.target = server.port;
  const ctx = await browser.newContext({ baseURL: gw.url });
  try {
    const page = await ctx.newPage();
    await signIn(page, 'sub');
    await clientReady(page);
    const v1 = await build(page);
    const other = await ctx.newPage();
    await other.goto('/inventory');
    await other.waitForFunction(() => (window as any).__drimsHydrated === true);
    await page.goto('/intake');
    await page.waitForFunction(() => (window as any).__drimsHydrated === true);
    await page.getByLabel('Item').selectOption({ label: 'Family tent (Shelter, each)' });
    await page.getByLabel('Quantity').fill('12');
    for (const p of [page, other]) await p.evaluate(() => ((window as any).__sameDocument = true));

    // A second build is deployed; the tabs learn of it, and nothing reloads by itself.
    sites.push(secondBuild('b'));
    const next = await Server.start(3062, db, sites[0]);
    gw.target = next.port;
    await server.stop();
    server = next;
    await checkForUpdate(page);
    for (const p of [page, other]) {
      await expect(p.getByRole('status').filter({ hasText: 'Update available' })).toBeVisible({ timeout: 15_000 });
    }
    expect(await build(page)).toBe(v1);

    // Accepted over a half-filled form: the page asks first and keeps the input.
    await page.getByRole('button', { name: 'Update', exact: true }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'This page has input that is not saved yet' })).toBeVisible();
    await page.getByRole('button', { name: 'Keep editing' }).click();
    await expect(page.getByLabel('Quantity')).toHaveValue('12');
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    // Saved, then updated: the page reloads into the new version.
    await page.getByRole('button', { name: 'Record intake' }).click();
    await expect(page.getByRole('main').getByRole('status').last()).toContainText('Saved');
    await synced(page);
    await page.getByRole('button', { name: 'Update', exact: true }).click();
    await page.waitForFunction(() => (window as any).__sameDocument === undefined && (window as any).__drimsHydrated === true);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const v2 = await build(page);
    expect(v2).not.toBe(v1);
    // The other tab was told and did not reload; the queue was untouched (the intake, once).
    await expect(other.getByRole('status').filter({ hasText: 'DRIMS was updated in another tab' })).toBeVisible();
    expect(await other.evaluate(() => (window as any).__sameDocument)).toBe(true);
    const admin = await api('admin', gw.url);
    const history = await (await admin.post('/api/fn/history', { form: { hub: String(HUB) } })).json();
    expect(history.movements.filter((m: any) => m.item === 'Family tent' && m.quantity === 12)).toHaveLength(1);
    await synced(page);

    // A third build with one file of its shell missing: the update fails as a whole.
    sites.push(secondBuild('c'));
    const third = await Server.start(3063, db, sites[1]);
    gw.missing.add('/icons/any-512.png');
    gw.target = third.port;
    await server.stop();
    server = third;
    await checkForUpdate(page);
    await expect(page.getByRole('alert').filter({ hasText: 'The update could not be downloaded' })).toBeVisible({ timeout: 15_000 });
    expect(await build(page)).toBe(v2);
    expect(await page.evaluate(() => caches.keys())).toEqual([`drims-shell-${v2}`]);
    // ...and the running version still starts with no network.
    gw.cut();
    await page.reload();
    await unlockOffline(page, 'sub');
    await expect(page.getByRole('heading', { name: 'Record intake' })).toBeVisible();
    expect(await build(page)).toBe(v2);
    await expect(pill(page)).toContainText('Offline');
  } finally {
    await ctx.close();
    await gw.stop();
    await Server.stopAll();
    for (const s of sites) fs.rmSync(s, { recursive: true, force: true });
  }
});

test('where service workers are unavailable the app works as before, online', async ({ browser }, info) => {
  const ctx = await browser.newContext({ baseURL: info.project.use.baseURL, serviceWorkers: 'block' });
  try {
    const page = await ctx.newPage();
    await signIn(page, 'sub');
    await page.waitForFunction(() => (window as any).__drimsHydrated === true);
    await synced(page);
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0);
    await page.goto('/intake');
    await page.waitForFunction(() => (window as any).__drimsHydrated === true);
    // The device data open (hydrated is set before it is): the form saves through it.
    await synced(page);
    await page.getByLabel('Item').selectOption({ label: 'Shovel (Tools, each)' });
    await page.getByLabel('Quantity').fill('3');
    await page.getByRole('button', { name: 'Record intake' }).click();
    await expect(page.getByRole('main').getByRole('status').last()).toHaveText('Saved and synced.');
    await expect(page.locator('[data-update]')).toHaveCount(0);
  } finally {
    await ctx.close();
  }
});
