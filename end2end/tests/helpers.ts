// Shared steps: sign in through the real form, read the main navigation.
import { APIRequestContext, expect, Page, request, test } from '@playwright/test';

/** Signs in through the real form; with JavaScript, once the client runs (so the device's
 *  offline profile is made), with "Keep this device ready for offline use" ticked by default. */
export async function signIn(page: Page, username: string, password = 'drims-demo', keepOffline = true) {
  await page.goto('/login');
  if (test.info().project.use.javaScriptEnabled !== false) {
    await page.waitForFunction(() => (window as any).__drimsHydrated === true);
  }
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  if (keepOffline) await page.getByLabel('Keep this device ready for offline use').check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  // With JavaScript the sign-in runs in the page (key derivation, then a navigation): wait for
  // its end, the next page or the reason it was refused.
  await Promise.race([
    page.waitForURL((u) => !u.pathname.startsWith('/login')),
    page.getByRole('main').getByRole('alert').first().waitFor(),
  ]);
}

/** With no network, a page opened or reloaded shows the sign-in page: the password opens the
 *  device's profile, then the page renders from the device's data. */
export async function unlockOffline(page: Page, username: string, password = 'drims-demo') {
  await page.waitForFunction(() => (window as any).__drimsOfflineShell === true || (window as any).__drimsHydrated === true);
  await expect(page.getByRole('heading', { name: 'Sign in to DRIMS' })).toBeVisible();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to DRIMS' })).toHaveCount(0, { timeout: 10_000 });
}

export async function navLabels(page: Page): Promise<string[]> {
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav).toBeVisible();
  return (await nav.getByRole('link').allTextContents()).map((t) => t.trim());
}

/** Signs out. With JavaScript, work left on the device (a refused operation kept in Sync
 *  Issues, say) makes the page ask first; the test confirms the deletion. */
export async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  const check = page.getByRole('alertdialog');
  await Promise.race([page.waitForURL(/\/login/), check.waitFor()]);
  if (await check.isVisible()) {
    await check.getByRole('button', { name: 'Sign out and delete them' }).click();
  }
  await expect(page).toHaveURL(/\/login/);
}

// ---- Offline mode -------------------------------------------------------------------------

/** The header's sync status pill. */
export function pill(page: Page) {
  return page.locator('.sync-pill');
}

/** Waits until the client runs, the service worker controls the page and the first sync ended. */
export async function clientReady(page: Page) {
  await page.waitForFunction(() => (window as any).__drimsHydrated === true || (window as any).__drimsOfflineShell === true);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await synced(page);
  // "Ready" comes just before the first run starts, over the last snapshot's counts: wait for
  // that run to end (the client asked for the sync lock in the task that said ready; the lock
  // is granted in order).
  await page.evaluate(() => navigator.locks.request('drims-sync', () => {}));
  await synced(page);
  // The first snapshot is on the device.
  await expect(pill(page)).not.toHaveAttribute('data-last-synced', '');
}

/** Waits until the client runs and reports an empty outbox, synced. */
export async function synced(page: Page, timeout = 15_000) {
  // One look at one page: across a navigation, separate checks could each pass on a
  // different page (the old one ready, the new one's server-rendered default "Synced").
  await expect
    .poll(
      () =>
        page
          .evaluate(() => {
            const p = document.querySelector('.sync-pill') as HTMLElement | null;
            return !!p && p.dataset.ready === 'true' && p.dataset.pending === '0' &&
              (p.textContent ?? '').includes('Online – Synced');
          })
          .catch(() => false),
      { timeout },
    )
    .toBe(true);
  await expect(pill(page)).toContainText('0 pending');
}

/** Records per store in the device's IndexedDB (`drims`), as the page's origin holds them. */
export async function idbCounts(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async () => {
    const db: IDBDatabase = await new Promise((resolve, reject) => {
      const r = indexedDB.open('drims');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const counts: Record<string, number> = {};
    for (const name of Array.from(db.objectStoreNames)) {
      counts[name] = await new Promise<number>((resolve) => {
        const c = db.transaction(name).objectStore(name).count();
        c.onsuccess = () => resolve(c.result);
      });
    }
    db.close();
    return counts;
  });
}

export async function pending(page: Page): Promise<number> {
  return Number(await pill(page).getAttribute('data-pending'));
}

/** Stock on hand at a hub as the server reports it (CSV export), by item name. */
export async function serverStock(api: APIRequestContext, hub: number, item: string): Promise<number> {
  const res = await api.get(`/inventory/export.csv?hub=${hub}&q=${encodeURIComponent(item)}`);
  expect(res.status()).toBe(200);
  const line = (await res.text()).split('\r\n').find((l) => l.split(',')[1] === item);
  return line ? Number(line.split(',')[4]) : 0;
}

/** Movements of one item in the server's history for a hub. */
export async function serverMovements(api: APIRequestContext, hub: number, item: string): Promise<string[]> {
  const res = await api.post('/api/fn/history', { form: { hub: String(hub) } });
  expect(res.status()).toBe(200);
  const history = await res.json();
  return history.movements
    .filter((m: any) => m.item === item)
    .map((m: any) => `${m.direction} ${m.quantity}`);
}

/** WCAG contrast ratio of an element's text colour against its own background colour. */
export async function contrast(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const style = getComputedStyle(document.querySelector(sel)!);
    const rgb = (c: string) => c.match(/\d+(\.\d+)?/g)!.slice(0, 3).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
  }, selector);
}

/** A client of the server outside the browser (so not offline with it), signed in as `username`;
 *  at `base` for a server a test started itself. */
export async function api(username: string, base = test.info().project.use.baseURL): Promise<APIRequestContext> {
  const ctx = await request.newContext({ baseURL: base });
  const res = await ctx.post('/api/session', { data: { username, password: 'drims-demo' } });
  expect(res.status()).toBe(200);
  return ctx;
}

/** Posts a no-JS form as the browser would: with the page's form token (`csrf`). */
export async function postForm(ctx: APIRequestContext, url: string, form: Record<string, string>, options: { maxRedirects?: number } = {}) {
  const page = await (await ctx.get('/')).text();
  const token = page.match(/<meta name="csrf-token" content="([^"]+)"/)?.[1];
  expect(token, 'the page carries a form token').toBeTruthy();
  return ctx.post(url, { form: { ...form, csrf: token! }, ...options });
}
