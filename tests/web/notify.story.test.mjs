// Notifications and the language setting in a real browser, on the living demo: a real mamori
// server seeded by deploy/demo-seed.py (so the demo is exercised in a browser too), Debian's
// chromium. The unassigned expert reads her escalation notification in Japanese, switches to
// English with the header switch (the page re-renders the notification from kind + params, and
// the server keeps user.lang for her mail), signs in from a fresh browser and gets English at
// once, then goes back to Japanese from her account page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const BIN = path.resolve(process.env.MAMORI_BIN || path.join(ROOT, 'build/mamori'));
const ADMIN_EMAIL = 'admin@example.jp';
const ADMIN_PASSWORD = 'admin-password-notify-1';
const DEMO_PASSWORD = 'mamori-demo-2026';
const QUESTION = '退職者のVPNアカウントが残っていないか確認する手順';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const haveServer = fs.existsSync(BIN);

let base = '';
let server = null;
let dataDir = null;
let browser = null;
const problems = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

function healthy(url) {
  return new Promise((resolve) => {
    const req = https.get(url + '/api/v1/health', { rejectUnauthorized: false, timeout: 2000 }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
  });
}

function run(cmd, args, input) {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: 300000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} → exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

before(async () => {
  if (!haveServer) return;
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamori-web-notify-'));
  const data = path.join(dataDir, 'data');
  run(BIN, ['init', '--data', data]);
  run(BIN, ['user', 'add', '--data', data, '--role', 'secretariat', '--email', ADMIN_EMAIL, '--name', '事務局'], ADMIN_PASSWORD + '\n');
  const port = await freePort();
  server = spawn(BIN, ['serve', '--data', data, '--listen', '127.0.0.1:' + port], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(path.join(dataDir, 'server.log'));
  server.stdout.pipe(log); server.stderr.pipe(log);
  base = 'https://127.0.0.1:' + port;
  const end = Date.now() + 20000;
  while (!(await healthy(base))) {
    if (Date.now() > end || server.exitCode !== null) throw new Error('server did not become healthy');
    await new Promise((r) => setTimeout(r, 200));
  }
  run('/usr/bin/python3', [path.join(ROOT, 'deploy/demo-seed.py'), base, ADMIN_EMAIL, ADMIN_PASSWORD, path.join(data, 'tls/cert.pem')]);
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => { server.once('exit', r); setTimeout(r, 5000); });
  }
  if (dataDir && !process.env.KEEP_DATA) fs.rmSync(dataDir, { recursive: true, force: true });
});

const tid = (id) => `[data-testid="${id}"]`;

async function freshPage(label) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'ja-JP', timezoneId: 'Europe/London' });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`${label}: ${e.message}`));
  return { context, page };
}

async function signIn(page, email) {
  await page.goto(base + '/#/');
  await page.fill(tid('login-email'), email);
  await page.fill(tid('login-password'), DEMO_PASSWORD);
  await page.click(tid('login-submit'));
  await page.waitForSelector(tid('current-user'));
}

const me = (page) => page.evaluate(async () => (await (await fetch('/api/v1/me')).json()).user);

test('notifications follow the chosen language, which the server keeps', { skip: haveServer ? false : `no server binary at ${BIN}`, timeout: 240000 }, async () => {
  const first = await freshPage('hanako');
  const { page } = first;
  await signIn(page, 'hanako@example.jp');
  assert.equal((await me(page)).lang, 'ja');
  await page.goto(base + '/#/notifications');
  const item = page.locator(tid('notification')).first();
  await item.waitFor();
  assert.match(await item.innerText(), new RegExp(`「${QUESTION}」への回答を依頼されました（回答期限: \\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d JST）`));

  await page.click(tid('lang-switch'));
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await page.waitForFunction((q) => document.querySelector('[data-testid="notification"]').innerText.includes(`You have been asked to answer “${q}” (due `), QUESTION);
  await page.waitForFunction(async () => (await (await fetch('/api/v1/me')).json()).user.lang === 'en');

  // Another browser, nothing stored: her saved language applies as soon as she signs in.
  const second = await freshPage('hanako again');
  await signIn(second.page, 'hanako@example.jp');
  await second.page.waitForFunction(() => document.documentElement.lang === 'en');
  await second.page.goto(base + '/#/account');
  await second.page.locator(tid('account-lang')).waitFor();
  assert.match(await second.page.locator(tid('account-lang')).innerText(), /Language of pages and mail/);
  await second.page.click(tid('account-lang-ja'));
  await second.page.waitForFunction(() => document.documentElement.lang === 'ja');
  await second.page.waitForFunction(async () => (await (await fetch('/api/v1/me')).json()).user.lang === 'ja');
  assert.match(await second.page.locator(tid('account-lang')).innerText(), /表示とメールの言語/);

  await first.context.close();
  await second.context.close();
  assert.deepEqual(problems, []);
});
