// The program calendar in the browser: a real mamori server, Debian's chromium via playwright-core.
//
// The secretariat creates the standard ten rounds, uploads the first round's slides (hidden until
// published) and publishes them; a participant sees them, downloads them and finds the
// notification and their calendar feed URL; the secretariat then takes attendance on a phone-sized
// screen (one tap per participant) and reads the attendance report with its at-risk mark.
// Screenshots go to tests/web/screenshots/rounds-*. Any unexpected 4xx/5xx answer, page error or
// console error fails the story.
//
// Environment: MAMORI_BIN (default ../../build/mamori), CHROMIUM (default /usr/bin/chromium).
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
const BIN = path.resolve(process.env.MAMORI_BIN || path.join(HERE, '../../build/mamori'));
const SHOTS = path.join(HERE, 'screenshots');
const ADMIN_EMAIL = 'admin@example.jp';
const ADMIN_PASSWORD = 'admin-password-rounds-1';
const PASSWORD = 'correct-horse-battery-staple-7';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let base = '';
let server = null;
let dataDir = null;
let browser = null;
const problems = [];
// Answers the app is expected to get: the sign-in probe before anyone has signed in.
const EXPECTED = [/^GET \/api\/v1\/me 401$/];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

function getStatus(url) {
  return new Promise((resolve) => {
    const req = https.get(url, { rejectUnauthorized: false, timeout: 2000 }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', () => resolve(0));
    req.on('timeout', () => { req.destroy(); resolve(0); });
  });
}

function run(args, input) {
  const r = spawnSync(BIN, args, { input, encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`mamori ${args.join(' ')} → exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

const haveServer = fs.existsSync(BIN);

before(async () => {
  if (!haveServer) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamori-web-rounds-'));
  const data = path.join(dataDir, 'data');
  run(['init', '--data', data]);
  run(['user', 'add', '--data', data, '--role', 'secretariat', '--email', ADMIN_EMAIL, '--name', '事務局'], ADMIN_PASSWORD + '\n');
  const port = await freePort();
  server = spawn(BIN, ['serve', '--data', data, '--listen', '127.0.0.1:' + port], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(path.join(dataDir, 'server.log'));
  server.stdout.pipe(log); server.stderr.pipe(log);
  base = 'https://127.0.0.1:' + port;
  const end = Date.now() + 20000;
  while (await getStatus(base + '/api/v1/health') !== 200) {
    if (Date.now() > end || server.exitCode !== null) throw new Error('server did not become healthy');
    await new Promise((r) => setTimeout(r, 200));
  }
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

async function person(label, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, ignoreHTTPSErrors: true, locale: 'ja-JP', timezoneId: 'Asia/Tokyo', acceptDownloads: true });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  // A failed load also shows as a console error; the response handler below judges those.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) problems.push(`${label}: console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${label}: page error: ${e.message}`));
  page.on('response', (res) => {
    if (res.status() < 400) return;
    const what = `${res.request().method()} ${new URL(res.url()).pathname} ${res.status()}`;
    if (!EXPECTED.some((re) => re.test(what))) problems.push(`${label}: unexpected ${what}`);
  });
  return { label, context, page };
}

const tid = (id) => `[data-testid="${id}"]`;

async function shot(page, name) {
  await page.evaluate(() => { const t = document.querySelector('.toast-region'); if (t) t.hidden = true; });
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(SHOTS, 'rounds-' + name + '.png'), fullPage: true });
  await page.evaluate(() => { const t = document.querySelector('.toast-region'); if (t) t.hidden = false; });
}

async function go(page, hash) {
  const url = base + '/#' + hash;
  if (page.url() === url) await page.reload();
  else await page.goto(url);
}

async function signIn(page, email, password) {
  await go(page, '/');
  await page.fill(tid('login-email'), email);
  await page.fill(tid('login-password'), password);
  await page.click(tid('login-submit'));
  await page.waitForSelector(tid('current-user'));
}

/** A JSON API call from inside the signed-in page (its own cookie and CSRF token). */
async function apiCall(page, method, p, body) {
  return page.evaluate(async ([method, p, body]) => {
    const res = await fetch('/api/v1' + p, {
      method, credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': sessionStorage.getItem('mamori.csrf') || '' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  }, [method, p, body]);
}

function programYear() {
  const now = new Date(Date.now() + 9 * 3600 * 1000);
  return now.getUTCMonth() + 1 >= 4 ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
}

test('rounds: standard ten → materials published → participant reads → attendance on a phone',
  { skip: haveServer ? false : `no server binary at ${BIN}`, timeout: 300000 }, async () => {
    const sec = await person('secretariat');
    const part = await person('participant');
    try {
      await story(sec, part);
    } catch (err) {
      for (const x of [sec, part]) {
        await x.page.screenshot({ path: path.join(SHOTS, 'rounds-FAILED-' + x.label + '.png'), fullPage: true }).catch(() => {});
      }
      throw err;
    }
    for (const x of [sec, part]) await x.context.close();
    assert.deepEqual(problems, [], 'no unexpected errors, page errors or console errors');
  });

async function story(sec, part) {
  const s = sec.page;
  const p = part.page;
  await signIn(s, ADMIN_EMAIL, ADMIN_PASSWORD);

  // ---- the program's registry (set up through the API; the registry pages have their own story)
  const g = await apiCall(s, 'POST', '/groups', { name: '第1グループ' });
  assert.equal(g.status, 201);
  const co = await apiCall(s, 'POST', '/companies', { name: '株式会社テスト製作所', industry: 'E', sme_class: 'manufacturing_other',
    capital_yen: 30000000, employees: 40, group_id: g.body.id });
  assert.equal(co.status, 201);
  const u = await apiCall(s, 'POST', '/users', { email: 'sato@example.jp', name: '佐藤 花子', role: 'participant',
    company_id: co.body.id, representative: true });
  assert.equal(u.status, 201);

  // ---- the participant accepts the invitation and signs in
  await p.goto(base + '/#/invite/' + u.body.invite_token);
  await p.fill(tid('invite-password'), PASSWORD);
  await p.fill(tid('invite-password2'), PASSWORD);
  await p.click(tid('invite-submit'));
  await p.waitForSelector(tid('login-notice'));
  if (!(await p.inputValue(tid('login-email')))) await p.fill(tid('login-email'), 'sato@example.jp');
  await p.fill(tid('login-password'), PASSWORD);
  await p.click(tid('login-submit'));
  await p.waitForSelector(tid('current-user'));

  // ---- the secretariat creates the standard ten rounds
  await go(s, '/rounds');
  await s.waitForSelector(tid('rounds-empty'));
  assert.equal(await s.inputValue(tid('standard-year')), String(programYear()));
  await s.click(tid('standard-submit'));
  await s.waitForSelector(`${tid('round')}[data-number="10"]`);
  assert.equal(await s.locator(tid('round')).count(), 10);
  const first = s.locator(`${tid('round')}[data-number="1"]`);
  assert.match(await first.textContent(), /サイバーセキュリティを取り巻く環境/);
  assert.match(await first.textContent(), /13:00–15:00/);
  assert.match(await first.textContent(), /15:15–17:15/);
  await shot(s, '01-standard-rounds');

  // ---- uploads the first round's slides: hidden until published
  await first.locator(tid('material-file')).setInputFiles({ name: '第1回_セミナー資料.pdf', mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4\n% 第1回 資料\n') });
  await first.locator(tid('material-upload')).click();
  await first.locator(`${tid('material')}[data-published="no"]`).waitFor();
  await go(p, '/rounds');
  const pFirst = p.locator(`${tid('round')}[data-number="1"]`);
  await pFirst.waitFor();
  assert.equal(await pFirst.locator(tid('material')).count(), 0, 'an unpublished file is not shown to participants');
  await shot(s, '02-uploaded');

  await first.locator(tid('material-publish')).click();
  await first.locator(`${tid('material')}[data-published="yes"]`).waitFor();
  await shot(s, '03-published');

  // ---- the participant sees, downloads, is notified, and finds the calendar feed
  await go(p, '/rounds');
  await pFirst.locator(tid('material-link')).waitFor();
  assert.equal((await pFirst.locator(tid('material-link')).textContent()).trim(), '第1回_セミナー資料.pdf');
  const [download] = await Promise.all([p.waitForEvent('download'), pFirst.locator(tid('material-link')).click()]);
  assert.equal(download.suggestedFilename(), '第1回_セミナー資料.pdf');
  const saved = fs.readFileSync(await download.path(), 'utf8');
  assert.match(saved, /第1回 資料/);
  await shot(p, '04-participant-rounds');
  await go(p, '/notifications');
  await p.waitForSelector(`${tid('notification')} >> text=第1回`);
  await go(p, '/calendar');
  const url = await p.locator(tid('feed-url')).inputValue();
  assert.match(url, /^https:\/\/.+\/calendar\/[A-Za-z0-9_-]+\.ics$/);
  assert.equal(await p.locator(tid('howto-outlook')).count(), 1);
  await shot(p, '05-calendar-feed');
  const feed = await p.evaluate(async (u) => { const r = await fetch(new URL(u).pathname); return { s: r.status, t: await r.text() }; }, url);
  assert.equal(feed.s, 200);
  assert.match(feed.t, /BEGIN:VCALENDAR\r\n/);

  // ---- attendance on a phone: one tap per participant
  await s.setViewportSize(PHONE);
  await go(s, '/rounds');
  await first.locator(tid('take-attendance')).click();
  const btn = s.locator(tid('att-person')).first();
  await btn.waitFor();
  const box = await btn.boundingBox();
  assert.ok(box.height >= 48 && box.width >= 300, `a large touch target (${box.width}×${box.height})`);
  assert.equal(await btn.getAttribute('data-status'), '');
  await btn.tap().catch(() => btn.click());
  await s.waitForSelector(`${tid('att-person')}[data-status="present"]`);
  await shot(s, '06-attendance-present-phone');
  await s.locator(tid('att-person')).first().click();
  await s.waitForSelector(`${tid('att-person')}[data-status="absent"]`);
  const roll = await apiCall(s, 'GET', '/rounds/' + (await s.evaluate(() => location.hash.split('/')[2])) + '/attendance');
  assert.equal(roll.body.participants[0].status, 'absent', 'the tap was saved');
  await shot(s, '07-attendance-absent-phone');

  // ---- the report: the absence marks the company at risk; CSV offered
  await s.setViewportSize(DESKTOP);
  await go(s, '/attendance');
  await s.waitForSelector(`${tid('attendance-row')}[data-at-risk="yes"]`);
  assert.match(await s.locator(tid('attendance-row')).first().textContent(), /第1回 欠席/);
  assert.equal(await s.locator(tid('attendance-csv')).getAttribute('href'), '/api/v1/attendance/report?format=csv');
  await shot(s, '08-attendance-report');
}
