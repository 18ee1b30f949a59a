// DRIMS servers a test starts and stops itself (the suite's own server runs for every test),
// behind a gateway that is the browser's one origin: the gateway forwards to whichever server
// is current, can drop every connection (no network) and can answer 404 for chosen paths.
import type { Browser, BrowserContext } from '@playwright/test';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');
const BINARY = path.resolve(ROOT, process.env.DRIMS_E2E_SERVER ?? 'target/debug/server');
export const SITE = path.join(ROOT, 'target', 'site');

export class Server {
  /** Every server started and not yet stopped, for `stopAll` after a failed test. */
  static running = new Set<Server>();

  static async stopAll() {
    await Promise.all([...Server.running].map((s) => s.stop()));
  }

  private constructor(readonly port: number, private child: ChildProcess, readonly log: string[]) {}

  /** Starts the debug server on `port` with `db` (a fresh demo database when the file is new)
   *  and the client build in `site`. */
  static async start(port: number, db: string, site = SITE, env: Record<string, string> = {}): Promise<Server> {
    // A server left over from an interrupted run would answer in this one's place.
    const taken = await new Promise<boolean>((resolve) => {
      const probe = net.connect({ host: '127.0.0.1', port }, () => {
        probe.destroy();
        resolve(true);
      });
      probe.on('error', () => resolve(false));
    });
    if (taken) throw new Error(`port ${port} is taken: a DRIMS server left running?`);
    const log: string[] = [];
    const child = spawn(BINARY, [], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: `sqlite://${db}`,
        DRIMS_DEMO: '1',
        LEPTOS_OUTPUT_NAME: 'drims',
        LEPTOS_SITE_ROOT: site,
        LEPTOS_SITE_PKG_DIR: 'pkg',
        LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
        LEPTOS_RELOAD_PORT: String(port + 1),
        RUST_LOG: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => log.push(String(d)));
    child.stderr!.on('data', (d) => log.push(String(d)));
    const server = new Server(port, child, log);
    Server.running.add(server);
    child.once('exit', () => Server.running.delete(server));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited: ${log.join('')}`);
      const up = await new Promise<boolean>((resolve) => {
        http.get({ host: '127.0.0.1', port, path: '/api/health' }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        }).on('error', () => resolve(false));
      });
      if (up) return server;
      if (Date.now() > deadline) throw new Error(`server did not start: ${log.join('')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async stop() {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

export class Gateway {
  target = 0;
  down = false;
  /** A link that answers nothing: requests are taken and never answered (nor closed). */
  stalled = false;
  readonly missing = new Set<string>();
  private sockets = new Set<net.Socket>();
  private server: http.Server;

  private constructor(readonly port: number) {
    this.server = http.createServer((req, res) => {
      if (this.down) {
        req.socket.destroy();
        return;
      }
      if (this.stalled) return;
      const pathname = new URL(req.url ?? '/', 'http://x').pathname;
      if (this.missing.has(pathname)) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
        return;
      }
      const upstream = http.request(
        { host: '127.0.0.1', port: this.target, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => req.socket.destroy());
      req.pipe(upstream);
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(port: number): Promise<Gateway> {
    const g = new Gateway(port);
    await new Promise<void>((r) => g.server.listen(port, '127.0.0.1', () => r()));
    return g;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** No network: every open connection is cut and every new request dropped. */
  cut() {
    this.down = true;
    for (const s of this.sockets) s.destroy();
  }

  restore() {
    this.down = false;
  }

  async stop() {
    this.cut();
    await new Promise((r) => this.server.close(r));
  }
}

/** A copy of the client build whose start script differs: a second build of the app. */
export function secondBuild(tag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `drims-site-${tag}-`));
  fs.cpSync(SITE, dir, { recursive: true });
  fs.appendFileSync(path.join(dir, 'offline.js'), `// build ${tag}\n`);
  return dir;
}

export function tempDb(tag: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), `drims-db-${tag}-`)), 'drims.db');
}

/** A server of its own on a fresh database (`tempDb(name)`), behind a gateway the test can cut
 *  or stall, and a browser context whose origin is the gateway; all stopped when `run` ends,
 *  whatever its outcome. */
export async function behindGateway(
  browser: Browser,
  opts: { name: string; port: number; gatewayPort: number; env?: Record<string, string> },
  run: (setup: { server: Server; gw: Gateway; ctx: BrowserContext }) => Promise<void>,
) {
  const server = await Server.start(opts.port, tempDb(opts.name), SITE, opts.env);
  const gw = await Gateway.start(opts.gatewayPort);
  gw.target = server.port;
  const ctx = await browser.newContext({ baseURL: gw.url });
  try {
    await run({ server, gw, ctx });
  } finally {
    await ctx.close();
    await gw.stop();
    await Server.stopAll();
  }
}
