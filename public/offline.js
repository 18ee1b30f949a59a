// No network: start the client, which renders the page from this device's data. The offline
// page names this build's content-hashed JS glue and WASM (a file, not an inline script, so the
// Content-Security-Policy needs no 'unsafe-inline' or hash for it).
const boot = document.querySelector('script[data-js]');
const { default: init, mount_offline } = await import(boot.dataset.js);
await init({ module_or_path: boot.dataset.wasm });
mount_offline();
