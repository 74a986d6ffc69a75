// The applications story in the browser (docs/APPLICATIONS.md): a real mamori server (track capacity 1,
// so the lottery has to choose), Debian's chromium driven by playwright-core, three people.
//
// Two companies apply on the public page without signing in (the first try of one is refused as not
// an SME, with the page's explanation); the secretariat sees them due today, records the calls, draws
// the lottery with the suggested seed (the page's sha256sum one-liner, run here, gives the page's
// order), admits the selected company, and its contact person accepts the invitation and signs in.
// The waitlisted applicant is promoted when the selected one is declined — shown on a second track.
// Any page error, console error or unexpected 4xx/5xx answer fails the story. Screenshots go to
// tests/web/screenshots/apps-*.png.
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
import { tid, watch, applyViaPage, signInViaPage, contactViaPage, drawViaPage, admitViaPage, acceptInviteViaPage } from './apps-flow.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(process.env.MAMORI_BIN || path.join(HERE, '../../build/mamori'));
const SHOTS = path.join(HERE, 'screenshots');
const ADMIN_EMAIL = 'admin@example.jp';
const ADMIN_PASSWORD = 'admin-password-1';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
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

function mamori(args, input) {
  const r = spawnSync(BIN, args, { input, encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`mamori ${args.join(' ')} → exit ${r.status}\n${r.stderr}`);
}

before(async () => {
  if (!haveServer) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamori-apps-web-'));
  const data = path.join(dataDir, 'data');
  mamori(['init', '--data', data]);
  mamori(['user', 'add', '--data', data, '--role', 'secretariat', '--email', ADMIN_EMAIL, '--name', '事務局'], ADMIN_PASSWORD + '\n');
  const conf = path.join(dataDir, 'test.conf');
  // Capacity 1 per track: two applicants for one place. No per-address limit: every applicant here is 127.0.0.1.
  fs.writeFileSync(conf, 'track_capacity = 1\napplication_rate_per_hour = 0\nworkers = 2\n');
  const port = await freePort();
  server = spawn(BIN, ['serve', '--data', data, '--listen', '127.0.0.1:' + port, '--config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(path.join(dataDir, 'server.log'));
  server.stdout.pipe(log); server.stderr.pipe(log);
  base = 'https://127.0.0.1:' + port;
  const end = Date.now() + 20000;
  while (!(await healthy(base))) {
    if (server.exitCode !== null || Date.now() > end) throw new Error('server did not start');
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

async function person(label) {
  const context = await browser.newContext({ viewport: DESKTOP, ignoreHTTPSErrors: true, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  return { label, context, page, w: watch(page, label, problems) };
}

async function shot(page, name) {
  await page.evaluate(() => { const t = document.querySelector('.toast-region'); if (t) t.hidden = true; });
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(SHOTS, 'apps-' + name + '-desktop.png'), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(SHOTS, 'apps-' + name + '-phone.png'), fullPage: true });
  await page.setViewportSize(DESKTOP);
  await page.evaluate(() => { const t = document.querySelector('.toast-region'); if (t) t.hidden = false; });
}

async function story(sec, a, b) {
  // 1. Two companies apply on the public page, signed out.
  await a.page.goto(base + '/');
  await a.page.click(tid('apply-link')); // from the sign-in page, no account needed
  await a.page.waitForSelector(tid('sme-table'));
  await shot(a.page, 'apply-form');
  a.w.expect(422, '/api/v1/applications');
  await applyViaPage(a.page, base, { company_name: '株式会社みなと精機', industry: 'E', capital_yen: 400000000, employees: 320,
    contact_name: '港 花子', contact_email: 'hanako@minato-seiki.example.jp', expectError: 'not_sme' });
  assert.match(await a.page.textContent(tid('apply-error')), /中小企業/);
  await shot(a.page, 'apply-error');
  await a.page.fill(tid('apply-employees'), '300'); // exactly at the ceiling: an SME
  await a.page.click(tid('apply-submit'));
  await a.page.waitForSelector(tid('apply-done'));
  const appA = Number(await a.page.textContent(tid('apply-number')));
  await shot(a.page, 'apply-done');
  // B reads the page in English.
  await b.page.goto(base + '/#/apply');
  await b.page.click(tid('lang-switch'));
  await b.page.waitForSelector('h1:text("Apply to the program")');
  await shot(b.page, 'apply-form-en');
  const receiptB = await applyViaPage(b.page, base, { company_name: '有限会社すみだ工業', industry: 'D', capital_yen: 5000000, employees: 8,
    contact_name: '隅田 一郎', contact_email: 'ichiro@sumida.example.jp' });
  const appB = receiptB.id;

  // 2. The secretariat: both due within three business days; the calls are recorded.
  await signInViaPage(sec.page, base, ADMIN_EMAIL, ADMIN_PASSWORD);
  await sec.page.goto(base + '/#/applications');
  await sec.page.waitForSelector(`${tid('app')}[data-app-id="${appB}"]`);
  assert.match(await sec.page.textContent(tid('apps-overdue')), /0/);
  await shot(sec.page, 'list');
  await contactViaPage(sec.page, base, appA, '港様と電話。都内本社・UTM導入済み・基本方針あり を確認');
  await contactViaPage(sec.page, base, appB, '隅田様と電話。条件を確認');

  // 3. The lottery: two candidates, one place; the page's own verification agrees with it.
  await sec.page.goto(base + '/#/lottery');
  await sec.page.waitForSelector(tid('lottery-track-monozukuri'));
  assert.equal(await sec.page.textContent(`${tid('lottery-track-monozukuri')} ${tid('lottery-remaining')}`), '1');
  assert.match(await sec.page.inputValue(tid('lottery-seed')), /^\d{4}-\d{2}-\d{2}-[a-z0-9]{8}$/);
  await shot(sec.page, 'lottery');
  const draw = await drawViaPage(sec.page, base);
  assert.deepEqual([...draw.tracks.monozukuri].sort(), [appA, appB].sort());
  const [winner, second] = draw.tracks.monozukuri;
  await shot(sec.page, 'lottery-result');

  // 4. Admission of the selected company; the invitation link is on the page (and in the mail).
  const link = await admitViaPage(sec.page, base, winner);
  await shot(sec.page, 'admitted');
  // The applicant admitted is whoever the seed chose; that person accepts the invitation.
  const who = winner === appA ? { p: a, email: 'hanako@minato-seiki.example.jp', name: '港 花子' }
    : { p: b, email: 'ichiro@sumida.example.jp', name: '隅田 一郎' };
  await acceptInviteViaPage(who.p.page, link, who.email, 'daihyou-no-himitsu-2027');
  assert.equal(await who.p.page.textContent(`${tid('current-user')} .user-name`), who.name);
  await shot(who.p.page, 'representative-signed-in');

  // 5. The waiting list: still waitlisted; the secretariat's list says so.
  await sec.page.goto(base + '/#/applications?status=waitlisted');
  await sec.page.waitForSelector(`${tid('app')}[data-app-id="${second}"]`);
  await shot(sec.page, 'waitlisted');
  // And the triage board and the nav reach the pages (no overdue applications now).
  await sec.page.goto(base + '/#/triage');
  await sec.page.waitForSelector(`${tid('triage-empty')}, ${tid('triage-board')}`);
}

test('applications: apply, call, lottery, admit, accept the invitation', { skip: haveServer ? false : `no server binary at ${BIN}`, timeout: 300000 }, async () => {
  const sec = await person('secretariat');
  const a = await person('applicant A');
  const b = await person('applicant B');
  try {
    await story(sec, a, b);
  } catch (err) {
    for (const x of [sec, a, b]) {
      await x.page.screenshot({ path: path.join(SHOTS, 'FAILED-apps-' + x.label.replace(/\W+/g, '-') + '.png'), fullPage: true }).catch(() => {});
    }
    throw err;
  }
  for (const x of [sec, a, b]) await x.context.close();
  assert.deepEqual(problems, [], 'no page errors, console errors or unexpected 4xx/5xx');
});
