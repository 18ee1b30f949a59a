// DRIMS service worker. The server prepends BUILD (this build's name), PRECACHE (every file the
// app shell needs, with its SHA-256) and OFFLINE_URL.
//
// - Install: downloads the whole list into the cache `drims-shell-<BUILD>`, checking each file's
//   SHA-256; one file missing or different and the install fails as a whole (the cache is
//   dropped), so the running version keeps working and the page says the update failed.
// - A new version waits: the page shows "Update available" and sends `skip-waiting` only when
//   the user accepts. The first version takes over at once (there is nothing to replace).
// - Fetch: precached files cache-first (their names carry the content hash, or they are the
//   build's own shell); navigations network-first, falling back to the offline page, which
//   starts the app from the device's IndexedDB, when the network fails or answers nothing
//   within NAVIGATION_DEADLINE_MS. `/api/*` and every page with data go to the network and are
//   never stored: nothing here holds user or stock data.
const CACHE = `drims-shell-${BUILD}`;
const PREFIX = 'drims-shell-';
const URLS = new Set(PRECACHE.map((e) => e.url));
// A link that answers nothing (packets dropped, a saturated or captive network) would hold a
// navigation for minutes on a blank page: without the page's first bytes by then, the app
// starts from the device as with no network. Generous for a slow link (a page's first bytes
// take a few round trips, ~2-4 s over 2G); the connectivity pill's promise is ~10 s too.
const NAVIGATION_DEADLINE_MS = 10000;

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function download(entry) {
  // `no-cache`: revalidate with the server, so an unhashed file (the offline page, the icons)
  // is never taken from an HTTP cache of another build.
  const response = await fetch(new Request(entry.url, { cache: 'no-cache', credentials: 'omit' }));
  if (!response.ok) throw new Error(`${entry.url}: HTTP ${response.status}`);
  const body = await response.clone().arrayBuffer();
  const digest = hex(await crypto.subtle.digest('SHA-256', body));
  if (digest !== entry.sha256) throw new Error(`${entry.url}: content differs from build ${BUILD}`);
  return response;
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const responses = await Promise.all(PRECACHE.map(download));
      // All downloaded and checked: only now is anything stored.
      const cache = await caches.open(CACHE);
      try {
        await Promise.all(PRECACHE.map((e, i) => cache.put(e.url, responses[i])));
      } catch (error) {
        await caches.delete(CACHE);
        throw error;
      }
    })()
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const keys = await caches.keys();
      await Promise.all(
        keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k))
      );
      await self.clients.claim();
    })()
  );
});

self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.type === 'skip-waiting') self.skipWaiting();
  if (data.type === 'version' && event.ports[0]) event.ports[0].postMessage({ build: BUILD });
});

async function fromCache(path) {
  const cache = await caches.open(CACHE);
  return cache.match(path);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate') {
    event.respondWith(
      (async () => {
        let timer;
        const deadline = new Promise((resolve) => {
          timer = setTimeout(resolve, NAVIGATION_DEADLINE_MS, null);
        });
        try {
          const response = await Promise.race([fetch(request), deadline]);
          // A gateway in front of a stopped server: as good as no network.
          if (response && (response.status < 502 || response.status > 504)) return response;
        } catch (_) {
          // No network: below.
        } finally {
          clearTimeout(timer);
        }
        return (await fromCache(OFFLINE_URL)) || Response.error();
      })()
    );
    return;
  }
  if (URLS.has(url.pathname) && url.search === '') {
    event.respondWith(
      (async () => (await fromCache(url.pathname)) || fetch(request))()
    );
  }
});
