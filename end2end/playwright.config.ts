// End-to-end tests in Debian's Chromium (Playwright cannot download browsers here).
// The server is the debug build from `cargo leptos build`, started on a fresh demo database.
import { defineConfig } from '@playwright/test';

const port = Number(process.env.DRIMS_E2E_PORT ?? 3010);
export const baseURL = `http://127.0.0.1:${port}`;

const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
};

export default defineConfig({
  testDir: './tests',
  // CI runs on a shared 2-core machine where a test can take twice as long as on an idle one
  // (the last CI run: 21.8 min for what takes 12 min idle); a real failure still fails.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: { baseURL, launchOptions: chromium, trace: 'retain-on-failure' },
  projects: [
    { name: 'no-js', use: { javaScriptEnabled: false } },
    { name: 'hydrated', use: { javaScriptEnabled: true } },
  ],
  webServer: {
    // DRIMS_E2E_SERVER=target/release/server runs the suite against a release build
    // (after `cargo leptos build --release`), e.g. for the offline measures.
    command: `rm -f target/e2e.db target/e2e.db-wal target/e2e.db-shm && ${process.env.DRIMS_E2E_SERVER ?? 'target/debug/server'}`,
    cwd: '..',
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    env: {
      DATABASE_URL: 'sqlite://target/e2e.db',
      DRIMS_DEMO: '1',
      LEPTOS_OUTPUT_NAME: 'drims',
      LEPTOS_SITE_ROOT: 'target/site',
      LEPTOS_SITE_PKG_DIR: 'pkg',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_RELOAD_PORT: String(port + 1),
      RUST_LOG: 'warn',
    },
  },
});
