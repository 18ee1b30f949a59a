// Offline sign-in and encryption at rest, in Chromium with the real service worker and
// IndexedDB: the four sign-in outcomes, nothing readable on the device, sign-out, a password
// changed elsewhere, a deactivated account's export imported by an LM, the idle lock, measures.
import { APIRequestContext, Browser, BrowserContext, expect, Page, test } from '@playwright/test';
import * as fs from 'fs';
import { api, clientReady, pending, pill, serverStock, signIn, synced } from './helpers';

// St. Catherine Parish Depot (SUB), the demo `sub` user's hub.
const HUB = 3;
const HUB_NAME = 'St. Catherine Parish Depot';
const DAY = 24 * 3600 * 1000;

test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, 'offline sign-in needs the browser client');
// Each offline sign-in derives a key with 600,000 PBKDF2 rounds: these tests take longer.
test.describe.configure({ timeout: 120_000 });

let serial = 0;
/** A fresh SUB user at HUB (so every test has its own profile), created by the admin. */
async function newUser(admin: APIRequestContext, tag: string, password = 'field-pass-1') {
  serial += 1;
  const username = `${tag}${Date.now() % 100000}${serial}`;
  const display = `Zephyrine ${tag} Quartermain`;
  const res = await admin.post('/api/users', {
    data: { username, display_name: display, password, role: 'SUB_HUB_USER', hub_id: HUB },
  });
  expect(res.status(), await res.text()).toBe(201);
  const user = await res.json();
  return { id: user.id as number, username, display, password };
}

async function updateUser(admin: APIRequestContext, id: number, change: Record<string, unknown>) {
  const users = await (await admin.get('/api/users')).json();
  const u = users.find((x: any) => x.id === id);
  const res = await admin.put(`/api/users/${id}`, {
    data: { username: u.username, display_name: u.display_name, role: u.role, hub_id: u.hub_id, ...change },
  });
  expect(res.status(), await res.text()).toBe(200);
}

async function newItem(admin: APIRequestContext, name: string) {
  const res = await admin.post('/api/items', { data: { name, category: 'Shelter', unit: 'each', min_qty: 1 } });
  expect(res.status(), await res.text()).toBe(201);
  return (await res.json()).id as number;
}

async function activeEvent(admin: APIRequestContext) {
  const events = await (await admin.get('/api/events')).json();
  return events.find((e: any) => e.status === 'Active');
}

/** Stock put at HUB through the sync endpoint (the one write path). */
async function stockUp(admin: APIRequestContext, items: number[], qty: number, event: number) {
  for (let i = 0; i < items.length; i += 500) {
    const operations = items.slice(i, i + 500).map((item) => ({
      id: crypto.randomUUID(), kind: 'intake', hub_id: HUB, created_at: new Date().toISOString(),
      device_id: 'e2e-setup', payload: { item_id: item, quantity: qty, event_id: event },
    }));
    const res = await admin.post('/api/offline/sync', { data: { device_id: 'e2e-setup', operations } });
    expect(res.status()).toBe(200);
    const body = await res.json();
    expect(body.results.every((r: any) => r.status === 'applied')).toBe(true);
  }
}

async function nav(page: Page, label: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
}

/** Goes offline and records an intake of `qty` × `item` (one of `newItem`'s) in the outbox. */
async function intakeOffline(page: Page, context: BrowserContext, item: string, qty: number) {
  await context.setOffline(true);
  await nav(page, 'Intake');
  await page.getByLabel('Item').selectOption({ label: `${item} (Shelter, each)` });
  await page.getByLabel('Quantity').fill(String(qty));
  await page.getByRole('button', { name: 'Record intake' }).click();
  await expect(page.getByRole('main').getByRole('status').last()).toHaveText('Saved - will sync.');
}

/** The sign-in form, filled and sent (online or offline: the same form). */
async function submitSignIn(page: Page, username: string, password: string) {
  await page.waitForFunction(() => (window as any).__drimsHydrated === true || (window as any).__drimsOfflineShell === true);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Makes something happen in `page` as its sign-in opens the device data (its first write over
 * the profiles and the outbox): a 6 s long task (a slow laptop), or another window's lock.
 */
async function onOpening(page: Page, what: 'long task' | 'lock') {
  await page.evaluate((what) => {
    const transaction = IDBDatabase.prototype.transaction;
    IDBDatabase.prototype.transaction = function (this: IDBDatabase, names: string | string[], mode?: IDBTransactionMode) {
      const stores = Array.isArray(names) ? names : [names];
      if (mode === 'readwrite' && stores.includes('profiles') && stores.includes('pending_operations')) {
        IDBDatabase.prototype.transaction = transaction;
        if (what === 'lock') {
          const channel = new BroadcastChannel('drims');
          (window as any).__e2eChannel = channel;
          channel.postMessage('lock');
        } else {
          const until = Date.now() + 6_000;
          while (Date.now() < until) {
            // the long task
          }
        }
      }
      return transaction.call(this, names, mode);
    } as typeof transaction;
  }, what);
}

/** A new tab with no network: the service worker's offline page, which starts the client. */
async function offlineTab(context: BrowserContext, path = '/') {
  const page = await context.newPage();
  await page.goto(path);
  await page.waitForFunction(() => (window as any).__drimsOfflineShell === true);
  return page;
}

function signInAlert(page: Page) {
  return page.getByRole('main').getByRole('alert');
}

/** Every IndexedDB key and value, localStorage and sessionStorage, as text (bytes as Latin-1). */
async function forensicDump(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const out: string[] = [];
    const req = <T>(r: IDBRequest<T>) => new Promise<T>((ok, no) => { r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
    const text = (v: unknown): string => {
      if (v instanceof Uint8Array) return Array.from(v, (b) => String.fromCharCode(b)).join('');
      if (v instanceof ArrayBuffer) return text(new Uint8Array(v));
      return typeof v === 'string' ? v : JSON.stringify(v);
    };
    for (const info of await indexedDB.databases()) {
      const db = await req(indexedDB.open(info.name!));
      for (const name of Array.from(db.objectStoreNames)) {
        const store = db.transaction(name, 'readonly').objectStore(name);
        const [keys, values] = await Promise.all([req(store.getAllKeys()), req(store.getAll())]);
        keys.forEach((k, i) => out.push(`${info.name}/${name} [${text(k)}] ${text(values[i])}`));
      }
      db.close();
    }
    for (const s of [localStorage, sessionStorage]) {
      for (let i = 0; i < s.length; i++) out.push(`${s.key(i)}=${s.getItem(s.key(i)!)}`);
    }
    return out.join('\n');
  });
}

function hits(dump: string, words: string[]): string[] {
  const lower = dump.toLowerCase();
  return words.filter((w) => lower.includes(w.toLowerCase()));
}

test('the four offline sign-in outcomes, with the exact messages', async ({ page, context }) => {
  const admin = await api('admin');
  const itemName = `Outcome kit ${Date.now() % 100000}`;
  await newItem(admin, itemName);
  // A device that has been online (the service worker is installed) but never kept a profile.
  await page.goto('/login');
  await page.waitForFunction(() => (window as any).__drimsHydrated === true);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await context.setOffline(true);
  await submitSignIn(page, 'auditor', 'drims-demo');
  await expect(signInAlert(page)).toHaveText('Offline access not available. Please connect at least once.');

  await context.setOffline(false);
  await signIn(page, 'sub');
  await clientReady(page);
  await context.setOffline(true);

  const wrong = await offlineTab(context);
  await expect(wrong.getByRole('heading', { name: 'Sign in to DRIMS' })).toBeVisible();
  await expect(wrong.getByText('Sasha Sub')).toHaveCount(0);
  await submitSignIn(wrong, 'sub', 'not-my-password');
  await expect(signInAlert(wrong)).toHaveText('Incorrect password');
  await submitSignIn(wrong, 'sub', 'drims-demo');
  await expect(wrong.getByRole('heading', { level: 1 })).toContainText('Welcome');
  await expect(pill(wrong)).toContainText('Offline – Working in offline mode');
  // The pages render from the device's data and work is queued as usual.
  await nav(wrong, 'Inventory');
  await expect(wrong.getByRole('main')).toContainText(HUB_NAME);
  await expect(wrong.getByRole('main').getByText('You are offline and this device has no synced data')).toHaveCount(0);
  await nav(wrong, 'Intake');
  await wrong.getByLabel('Item').selectOption({ label: `${itemName} (Shelter, each)` });
  await wrong.getByLabel('Quantity').fill('3');
  await wrong.getByRole('button', { name: 'Record intake' }).click();
  await expect(wrong.getByRole('main').getByRole('status').last()).toHaveText('Saved - will sync.');
  expect(await pending(wrong)).toBe(1);

  // The grant's window (7 days by default) has passed on the device's clock.
  const later = await context.newPage();
  await later.clock.setFixedTime(Date.now() + 8 * DAY);
  await later.goto('/');
  await later.waitForFunction(() => (window as any).__drimsOfflineShell === true);
  await submitSignIn(later, 'sub', 'drims-demo');
  await expect(signInAlert(later)).toHaveText('Offline access has expired. Connect to the internet to sign in.');
  // A clock set back before the last server time is refused too.
  const earlier = await context.newPage();
  await earlier.clock.setFixedTime(Date.now() - DAY);
  await earlier.goto('/');
  await earlier.waitForFunction(() => (window as any).__drimsOfflineShell === true);
  await submitSignIn(earlier, 'sub', 'drims-demo');
  await expect(signInAlert(earlier)).toContainText('clock is earlier than the last time it reached the server');

  // Five wrong passwords: a wait of 60 s, and nothing wiped.
  const guesser = await offlineTab(context);
  for (let i = 0; i < 5; i++) {
    await submitSignIn(guesser, 'sub', `guess-${i}`);
    await expect(signInAlert(guesser)).toHaveText('Incorrect password');
    await guesser.getByLabel('Password').fill('');
  }
  await submitSignIn(guesser, 'sub', 'drims-demo');
  await expect(signInAlert(guesser)).toHaveText(/^Too many incorrect passwords\. Wait (5\d|60) seconds before trying again\.$/);
  await guesser.clock.setFixedTime(Date.now() + 61_000);
  await submitSignIn(guesser, 'sub', 'drims-demo');
  await expect(guesser.getByRole('heading', { level: 1 })).toContainText('Welcome');
  expect(await pending(guesser)).toBe(1);

  // Tabs on a moved clock would, once online, open the profile and write their time as the
  // last activity: a day old, it would idle-lock every other tab.
  for (const tab of [later, earlier, guesser]) await tab.close();
  await context.setOffline(false);
  await wrong.getByRole('button', { name: 'Sync Now' }).click();
  await expect(pill(wrong)).toContainText('0 pending', { timeout: 15_000 });
  expect(await serverStock(admin, HUB, itemName)).toBe(3);
  await admin.dispose();
});

test('after an offline session nothing on the device reads in plaintext; sign-out leaves nothing', async ({ page, context }) => {
  const admin = await api('admin');
  const user = await newUser(admin, 'forensic');
  const itemName = `Quokka Forensic Tarpaulin ${Date.now() % 100000}`;
  const item = await newItem(admin, itemName);
  const event = await activeEvent(admin);
  await stockUp(admin, [item], 50, event.id);

  await signIn(page, user.username, user.password);
  await clientReady(page);
  await context.setOffline(true);
  const tab = await offlineTab(context);
  await submitSignIn(tab, user.username, user.password);
  await expect(tab.getByRole('heading', { level: 1 })).toContainText('Welcome');
  await nav(tab, 'Intake');
  await tab.getByLabel('Item').selectOption({ label: `${itemName} (Shelter, each)` });
  await tab.getByLabel('Quantity').fill('4');
  await tab.getByLabel('Donor (optional)').fill('Donor Wombat-Forensic');
  await tab.getByLabel('Notes (optional)').fill('note Platypus-Forensic');
  await tab.getByRole('button', { name: 'Record intake' }).click();
  await expect(tab.getByRole('main').getByRole('status').last()).toHaveText('Saved - will sync.');
  await nav(tab, 'Distribution');
  await tab.getByLabel('Item').selectOption({ label: `${itemName} — 54 each available` });
  await tab.getByLabel('Quantity').fill('2');
  await tab.getByLabel('Beneficiary').fill('Beneficiary Numbat-Forensic');
  await tab.getByRole('button', { name: 'Record distribution' }).click();
  await expect(tab.getByRole('main').getByRole('status').last()).toContainText('Saved - will sync.');
  expect(await pending(tab)).toBe(2);

  const words = [user.username, user.display, HUB_NAME, 'St. Catherine', itemName, 'Quokka', 'Wombat',
    'Numbat', 'Platypus', event.name, 'Bottled water', 'Toothpaste'];
  const dump = await forensicDump(tab);
  expect(dump.split('\n').length).toBeGreaterThan(5);
  expect(hits(dump, words), 'plaintext found on the device').toEqual([]);

  // Back online: synced once; then sign out deletes every record of this user.
  await context.setOffline(false);
  await tab.getByRole('button', { name: 'Sync Now' }).click();
  await expect(pill(tab)).toContainText('0 pending · 0 failed', { timeout: 15_000 });
  expect(await serverStock(admin, HUB, itemName)).toBe(52);
  await tab.getByRole('button', { name: 'Sign out' }).click();
  await expect(tab).toHaveURL(/\/login/);
  const after = await forensicDump(tab);
  const profiles = after.split('\n').filter((l) => l.startsWith('drims/profiles '));
  expect(profiles, 'no profile left').toEqual([]);
  expect(after.split('\n').filter((l) => l.startsWith('drims/')), 'no record left').toEqual([]);

  // The impersonation scenario: signed out, offline, open `/`: the sign-in page, nobody's data.
  await context.setOffline(true);
  const thief = await offlineTab(context);
  await expect(thief.getByRole('heading', { name: 'Sign in to DRIMS' })).toBeVisible();
  await expect(thief.getByText(user.display)).toHaveCount(0);
  await expect(thief.getByText('Not signed in')).toBeVisible();
  await submitSignIn(thief, user.username, user.password);
  await expect(signInAlert(thief)).toHaveText('Offline access not available. Please connect at least once.');
  await admin.dispose();
});

test('sign-out with unsynced work asks first; confirmed, it deletes the work from the device', async ({ page, context }) => {
  await signIn(page, 'clerk');
  await clientReady(page);
  const admin = await api('admin');
  const itemName = `Sign-out kit ${Date.now() % 100000}`;
  await newItem(admin, itemName);
  await page.reload(); // the new item in this page's choices
  await clientReady(page);
  await intakeOffline(page, context, itemName, 1);
  await page.getByRole('button', { name: 'Sign out' }).click();
  const check = page.getByRole('alertdialog');
  await expect(check).toContainText('1 operations recorded on this device have not reached the server.');
  await expect(check.getByRole('button', { name: 'Sync now' })).toBeVisible();
  await expect(check.getByRole('link', { name: 'Export pending operations' })).toBeVisible();
  await check.getByRole('button', { name: 'Cancel' }).click();
  await expect(check).toHaveCount(0);
  expect(await pending(page)).toBe(1);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Sign out and delete them' }).click();
  await expect(page).toHaveURL(/\/login/);
  expect((await forensicDump(page)).split('\n').filter((l) => l.startsWith('drims/')), 'nothing left').toEqual([]);
  await context.setOffline(false);
  expect(await serverStock(admin, HUB, itemName)).toBe(0);
  await admin.dispose();
});

test('a password changed on the server while the device was offline: the queue syncs after sign-in with the new one', async ({ page, context }) => {
  const admin = await api('admin');
  const user = await newUser(admin, 'pwchange');
  const itemName = `Password kit ${Date.now() % 100000}`;
  await newItem(admin, itemName);
  await signIn(page, user.username, user.password);
  await clientReady(page);
  await intakeOffline(page, context, itemName, 9);

  await updateUser(admin, user.id, { password: 'brand-new-pass-2' }); // ends the user's sessions
  await context.setOffline(false);
  await expect(pill(page)).toContainText('Online – Sign in to sync', { timeout: 15_000 });
  expect(await pending(page)).toBe(1);
  await page.getByRole('link', { name: 'Sign in to sync' }).click();
  await submitSignIn(page, user.username, 'brand-new-pass-2');
  await synced(page);
  expect(await serverStock(admin, HUB, itemName)).toBe(9);

  // Offline now opens with the new password only.
  await context.setOffline(true);
  const tab = await offlineTab(context);
  await submitSignIn(tab, user.username, user.password);
  await expect(signInAlert(tab)).toHaveText('Incorrect password');
  await submitSignIn(tab, user.username, 'brand-new-pass-2');
  await expect(tab.getByRole('heading', { level: 1 })).toContainText('Welcome');
  await admin.dispose();
});

test('a deactivated account exports its queue; an LM imports it in a fresh browser: applied once', async ({ page, context, browser }) => {
  const admin = await api('admin');
  const user = await newUser(admin, 'leaver');
  const itemName = `Leaver kit ${Date.now() % 100000}`;
  await newItem(admin, itemName);
  await signIn(page, user.username, user.password);
  await clientReady(page);
  await intakeOffline(page, context, itemName, 11);

  await updateUser(admin, user.id, { active: false });
  await context.setOffline(false);
  await expect(pill(page)).toContainText('Online – Sign in to sync', { timeout: 15_000 });
  await page.getByRole('link', { name: 'Sign in to sync' }).click();
  await submitSignIn(page, user.username, user.password);
  const told = page.getByRole('main').getByRole('alert').filter({ hasText: 'deactivated' });
  await expect(told).toContainText('1 operations recorded on this device have not reached the server.');
  await page.getByLabel('Export passphrase').fill('correct horse battery');
  await page.getByLabel('Repeat the passphrase').fill('correct horse battery');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export pending operations' }).click();
  const file = await download;
  const path = test.info().outputPath('pending.json');
  await file.saveAs(path);
  await expect(page.getByText('Exported 1 operations to a file.')).toBeVisible();
  const exported = fs.readFileSync(path, 'utf8');
  expect(JSON.parse(exported).format).toBe('drims-pending-export');
  expect(hits(exported, [user.username, itemName, HUB_NAME])).toEqual([]);
  // Offline sign-in is over for a deactivated account.
  expect(await serverStock(admin, HUB, itemName)).toBe(0);

  const fresh = await browser.newContext();
  const lm = await fresh.newPage();
  await signIn(lm, 'lm', 'drims-demo', false);
  await expect(lm.getByRole('heading', { level: 1 })).toContainText('Welcome');
  for (const round of [1, 2]) {
    await lm.goto('/admin/import');
    await lm.getByLabel('Export file', { exact: true }).setInputFiles(path);
    await lm.getByLabel('Passphrase', { exact: true }).fill('correct horse battery');
    await lm.getByRole('button', { name: 'Import' }).click();
    await expect(lm).toHaveURL(/\/admin\/imports\/\d+/);
    await expect(lm.getByRole('main')).toContainText(user.username);
    await expect(lm.getByRole('main')).toContainText('applied');
    expect(await serverStock(admin, HUB, itemName), `after import ${round}`).toBe(11);
  }
  await fresh.close();
  await admin.dispose();
});

test('the idle lock: every tab drops the key and asks for the password; nothing queued is lost', async ({ page, context }) => {
  const admin = await api('admin');
  const itemName = `Idle kit ${Date.now() % 100000}`;
  await newItem(admin, itemName);
  await signIn(page, 'sub');
  await clientReady(page);
  const two = await context.newPage();
  await two.goto('/sync-issues');
  await expect(pill(two)).toHaveAttribute('data-unlocked', 'true');
  await intakeOffline(page, context, itemName, 2);
  // Nobody touched either tab for 20 minutes (the default idle lock is 15).
  await page.evaluate(() => localStorage.setItem('drims.last_active', String(Date.now() - 20 * 60_000)));
  for (const tab of [page, two]) {
    await expect(tab.getByRole('heading', { name: 'Sign in to DRIMS' })).toBeVisible({ timeout: 15_000 });
    await expect(tab.getByText('Not signed in')).toBeVisible();
    await expect(tab.getByText('Sasha Sub')).toHaveCount(0);
  }
  // Another window locks as this one opens the device data: the sign-in screen stays and
  // says why (it used to be lifted over the locked device by the sign-in page).
  await onOpening(two, 'lock');
  await submitSignIn(two, 'sub', 'drims-demo');
  await expect(two.getByText('DRIMS was locked in another window as this one opened: sign in again.')).toBeVisible({ timeout: 15_000 });
  await expect(two.getByRole('heading', { name: 'Sign in to DRIMS' })).toBeVisible();
  // A slow laptop: a long task (6 s, longer than the 5 s between idle checks) as the sign-in
  // opens the profile. The idle check then due must not find the profile open with the
  // activity time from before the lock and lock it again, under a page that shows as signed
  // in with nothing in it (a CI failure).
  await onOpening(two, 'long task');
  await submitSignIn(two, 'sub', 'drims-demo');
  await expect(two.getByRole('heading', { level: 1 })).toContainText('Sync issues', { timeout: 20_000 });
  await expect(pill(two)).toHaveAttribute('data-unlocked', 'true');
  await expect(pill(two)).toHaveAttribute('data-pending', '1');
  await context.setOffline(false);
  await expect(pill(two)).toContainText('0 pending', { timeout: 15_000 });
  expect(await serverStock(admin, HUB, itemName)).toBe(2);
  await admin.dispose();
});

test('measure: key derivation, encrypted enqueue, unlock to dashboard with 200 items', async ({ page, context }) => {
  const admin = await api('admin');
  const user = await newUser(admin, 'measure');
  const event = await activeEvent(admin);
  const items: number[] = [];
  for (let i = 0; i < 200; i++) items.push(await newItem(admin, `Measure item ${Date.now() % 100000}-${i}`));
  await stockUp(admin, items, 5, event.id);

  await signIn(page, user.username, user.password);
  await clientReady(page);
  const kdfMs = await page.evaluate(() => sessionStorage.getItem('drims.kdf_ms'));
  await context.setOffline(true);
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const tab = await offlineTab(context);
    await tab.getByLabel('Username').fill(user.username);
    await tab.getByLabel('Password').fill(user.password);
    const started = Date.now();
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await expect(tab.getByRole('heading', { level: 1 })).toContainText('Welcome', { timeout: 10_000 });
    await expect(tab.locator('section.dashboard .stat').first()).toBeVisible({ timeout: 10_000 });
    runs.push(Date.now() - started);
    await tab.close();
  }
  console.log(`MEASURE offline-signin: PBKDF2-SHA256 600000 iterations in Chromium ${kdfMs} ms (online sign-in, wrap); ` +
    `offline unlock (PBKDF2 + open) to dashboard with 200 items: ${runs.join(', ')} ms`);
  expect(runs.length).toBe(3);
  await context.setOffline(false);
  await admin.dispose();
});

/** The clerk, signed in with the device kept ready, loads `path` as the link drops: the page
 * itself arrives, every call the client makes to the server fails; the sign-in screen shows.
 * Returns the route handler that cuts the calls (for `context.unroute`). */
async function loadWithApiCut(page: Page, context: BrowserContext, path: string) {
  await signIn(page, 'clerk');
  await clientReady(page);
  const cut = (route: any) => route.abort('internetdisconnected');
  await context.route(/\/api\//, cut);
  await page.goto(path);
  await expect(page.getByRole('heading', { name: 'Sign in to DRIMS' })).toBeVisible();
  return cut;
}

test('the link drops as a page loads: the offline sign-in opens the device data there, and the work syncs once back', async ({ page, context }) => {
  const admin = await api('admin');
  const itemName = `Dropped-load kit ${Date.now() % 100000}`;
  await newItem(admin, itemName);
  const cut = await loadWithApiCut(page, context, '/intake');
  await expect(page.getByLabel('Item')).toHaveCount(0);
  await submitSignIn(page, 'clerk', 'drims-demo');
  await page.getByLabel('Item').selectOption({ label: `${itemName} (Shelter, each)` });
  await page.getByLabel('Quantity').fill('5');
  await page.getByRole('button', { name: 'Record intake' }).click();
  await expect(page.getByRole('main').getByRole('status').last()).toHaveText('Saved - will sync.');
  expect(await pending(page)).toBe(1);

  await context.unroute(/\/api\//, cut);
  await expect(pill(page)).toContainText('0 pending · 0 failed', { timeout: 20_000 });
  expect(await serverStock(admin, HUB, itemName)).toBe(5);
  await admin.dispose();
});

test('the sign-in screen shown for a dropped link gives way once the server answers, even where the device data cannot be opened there', async ({ page, context }) => {
  const cut = await loadWithApiCut(page, context, '/inventory');
  // The server answers again, all but the device secret: the profile stays closed, the page
  // it rendered comes back (no sign-in screen left over an online page).
  const noSecret = (route: any) => route.abort('internetdisconnected');
  await context.route(/\/api\/offline\/access/, noSecret);
  await context.unroute(/\/api\//, cut);
  await expect(page.getByRole('heading', { name: 'Sign in to DRIMS' })).toHaveCount(0, { timeout: 20_000 });
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Inventory');
  await context.unroute(/\/api\/offline\/access/, noSecret);
});
