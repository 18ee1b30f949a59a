// No network: start the client, which renders the page from this device's data. (A file, not
// an inline script, so the Content-Security-Policy needs no 'unsafe-inline' or hash for it.)
import init, { mount_offline } from '/pkg/drims.js';
init({ module_or_path: '/pkg/drims.wasm' }).then(() => mount_offline());
