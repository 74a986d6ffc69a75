// What the browser stories share: a real mamori server on a fresh data directory, Debian's chromium,
// an API client (cookies + CSRF, like the web app) to set the world up, and people — one browser
// context each — whose pages are watched for HTTP errors, page errors and console errors.
//
// Environment: MAMORI_BIN (default ../../build/mamori), CHROMIUM (default /usr/bin/chromium),
// KEEP_DATA=1 keeps the data directory and the server log.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const BIN = path.resolve(process.env.MAMORI_BIN || path.join(HERE, '../../build/mamori'));
export const SHOTS = path.join(HERE, 'screenshots');
export const ADMIN_EMAIL = 'admin@example.jp';
export const ADMIN_PASSWORD = 'admin-password-1';
export const PASSWORD = 'correct-horse-battery-staple-7';
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const haveServer = fs.existsSync(BIN);
export const tid = (id) => `[data-testid="${id}"]`;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

function run(args, input) {
  const r = spawnSync(BIN, args, { input, encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`mamori ${args.join(' ')} → exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

/** A JSON request over TLS; resolves {status, body, headers}. */
function call(base, method, p, { body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = https.request(base + '/api/v1' + p, {
      method, rejectUnauthorized: false, timeout: 15000,
      headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json' } : {}), ...headers },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed = text;
        if ((res.headers['content-type'] || '').includes('json') && text) parsed = JSON.parse(text);
        resolve({ status: res.statusCode, body: parsed, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout: ' + method + ' ' + p)));
    if (payload) req.write(payload);
    req.end();
  });
}

/** One signed-in person on the API, as the web app is: session cookie and X-CSRF-Token. */
export class Api {
  constructor(base) { this.base = base; this.cookies = new Map(); this.csrf = ''; }

  async request(method, p, body, expect) {
    const headers = {};
    if (this.cookies.size) headers.Cookie = [...this.cookies].map(([k, v]) => k + '=' + v).join('; ');
    if (method !== 'GET' && this.csrf) headers['X-CSRF-Token'] = this.csrf;
    const r = await call(this.base, method, p, { body, headers });
    for (const c of [].concat(r.headers['set-cookie'] || [])) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    const want = expect === undefined ? [200, 201, 204] : [].concat(expect);
    if (!want.includes(r.status)) {
      throw new Error(`${method} ${p} → ${r.status} ${JSON.stringify(r.body)} (expected ${want.join('/')})`);
    }
    return r.body;
  }

  get(p, expect) { return this.request('GET', p, undefined, expect); }
  post(p, body = {}, expect) { return this.request('POST', p, body, expect); }
  patch(p, body, expect) { return this.request('PATCH', p, body, expect); }

  async signIn(email, password) {
    const r = await this.request('POST', '/session', { email, password });
    this.csrf = r.csrf_token;
    return r.user;
  }
}

/** Starts `mamori serve` on a fresh data directory with one secretariat account; returns the world.
 * config: optional configuration keys ({track_capacity: 1, ...}) written to a config file. */
export async function startServer({ config } = {}) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamori-web-'));
  const data = path.join(dataDir, 'data');
  run(['init', '--data', data]);
  run(['user', 'add', '--data', data, '--role', 'secretariat', '--email', ADMIN_EMAIL, '--name', '事務局'], ADMIN_PASSWORD + '\n');
  const port = await freePort();
  const args = ['serve', '--data', data, '--listen', '127.0.0.1:' + port];
  if (config) {
    const conf = path.join(dataDir, 'test.conf');
    fs.writeFileSync(conf, Object.entries(config).map(([k, v]) => `${k} = ${v}\n`).join(''));
    args.push('--config', conf);
  }
  const server = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(path.join(dataDir, 'server.log'));
  server.stdout.pipe(log); server.stderr.pipe(log);
  const base = 'https://127.0.0.1:' + port;
  for (;;) {
    if (server.exitCode !== null) throw new Error('mamori serve exited with ' + server.exitCode);
    const ok = await call(base, 'GET', '/health').then((r) => r.status === 200, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const answers = [];
  return {
    base, browser, dataDir, answers,
    /** Checks every API answer the pages got against docs/openapi.json; returns the mismatches. */
    async checkContract() {
      const got = (await Promise.all(answers)).filter(Boolean);
      const file = path.join(dataDir, 'answers.jsonl');
      fs.writeFileSync(file, got.map((a) => JSON.stringify(a)).join('\n') + '\n');
      const r = spawnSync('python3', [path.join(HERE, 'check_responses.py'), file], {
        encoding: 'utf8', env: { ...process.env, MAMORI_SOURCE_DIR: path.join(HERE, '../..') },
      });
      if (r.status !== 0 && r.status !== 1) throw new Error('check_responses.py failed: ' + r.stderr);
      return { checked: got.length, mismatches: r.stdout.split('\n').filter(Boolean) };
    },
    async stop() {
      await browser.close();
      if (server.exitCode === null) {
        server.kill('SIGTERM');
        await new Promise((r) => { server.once('exit', r); setTimeout(r, 5000); });
      }
      if (!process.env.KEEP_DATA) fs.rmSync(dataDir, { recursive: true, force: true });
      else console.log('data kept in', dataDir);
    },
  };
}

/**
 * A person with their own browser context. Every HTTP answer of 400 or more the page receives, every
 * page error and every console error is a problem, unless the step running now allowed it:
 *   await p.expecting([{ status: 404, url: /\/api\/v1\/threads\/\d+$/ }], async () => { ... })
 * A failed fetch is also logged by chromium as a console error "Failed to load resource"; that one is
 * judged by its HTTP answer, not twice.
 */
export async function person(world, label) {
  const context = await world.browser.newContext({ viewport: DESKTOP, ignoreHTTPSErrors: true, locale: 'ja-JP', timezoneId: 'Europe/London' });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const who = { label, context, page, problems: [], allowed: [], seen: [] };
  page.on('response', (res) => {
    const status = res.status();
    if (status < 400) return;
    const url = res.url();
    const rule = who.allowed.find((a) => a.status === status && a.url.test(url));
    if (rule) { who.seen.push(rule); return; }
    who.problems.push(`${label}: unexpected ${status} ${res.request().method()} ${url}`);
  });
  page.on('pageerror', (e) => who.problems.push(`${label}: page error: ${e.message}`));
  // Every API answer is kept for the contract check (world.checkContract); the event stream never ends.
  page.on('response', (res) => {
    const url = new URL(res.url());
    if (!url.pathname.startsWith('/api/v1/') || url.pathname === '/api/v1/events') return;
    world.answers.push(res.body().then((body) => ({
      method: res.request().method(), path: url.pathname + url.search, status: res.status(),
      content_type: res.headers()['content-type'] || '', body_b64: body.toString('base64'),
    }), () => null)); // a page that navigated away meanwhile keeps no body
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (/^Failed to load resource: the server responded with a status of \d+/.test(m.text())) return;
    who.problems.push(`${label}: console error: ${m.text()}`);
  });
  who.expecting = async (rules, fn) => {
    const before = who.allowed;
    who.allowed = before.concat(rules);
    try { await fn(); } finally { who.allowed = before; }
  };
  return who;
}

export async function shot(page, name) {
  // Toasts float over the content; keep them out of the pictures.
  await page.evaluate(() => { const t = document.querySelector('.toast-region'); if (t) t.hidden = true; });
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(SHOTS, name + '-desktop.png'), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(SHOTS, name + '-phone.png'), fullPage: true });
  await page.setViewportSize(DESKTOP);
  await page.evaluate(() => { const t = document.querySelector('.toast-region'); if (t) t.hidden = false; });
}

/** Opens #hash, reloading when the page is already there (a same-hash change does not navigate). */
export async function go(world, page, hash) {
  const url = world.base + '/#' + hash;
  if (page.url() === url) await page.reload();
  else await page.goto(url);
}

/** The app starts with GET /me, which is 401 until someone signs in. */
export const SIGNED_OUT = [{ status: 401, url: /\/api\/v1\/me$/ }];

export async function signIn(world, who, email, password) {
  await who.expecting(SIGNED_OUT, async () => {
    await go(world, who.page, '/');
    await who.page.fill(tid('login-email'), email);
    await who.page.fill(tid('login-password'), password);
    await who.page.click(tid('login-submit'));
    await who.page.waitForSelector(`${tid('current-user')}, .consent`);
  });
}

/** The current RFC 6238 code (SHA-1, 6 digits, 30 s) for a base32 secret, as an authenticator app shows it. */
export function totpCode(secret, now = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 30000)));
  const h = crypto.createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}
