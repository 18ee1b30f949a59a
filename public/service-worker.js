// DRIMS service worker: keeps the app shell (the offline page, the WASM client and the
// stylesheet) so a reload or a navigation without a network still starts the app, which then
// renders from the device's IndexedDB. It never caches /api/* or any page carrying data:
// navigations go to the network and fall back to the data-free offline page.
// (Precaching content-hashed assets and the update prompt come with the installable PWA.)
const CACHE = 'drims-shell-v2';
const SHELL = ['/offline.html', '/offline.js', '/pkg/drims.js', '/pkg/drims.wasm', '/drims.css'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting())
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request).catch(() =>
        caches.match('/offline.html').then((page) => page || Response.error())
      )
    );
    return;
  }
  if (SHELL.includes(url.pathname)) {
    // Network first so a new build is picked up at once; the cache when there is no network.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
          }
          return response;
        })
        .catch(() => caches.match(url.pathname).then((hit) => hit || Response.error()))
    );
  }
});
