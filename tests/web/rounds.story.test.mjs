// The program calendar in the browser: a real mamori server, Debian's chromium via playwright-core.
//
// A company applies, is admitted and its representative signs in (apps-flow.mjs); the secretariat
// creates the standard ten rounds, uploads the first round's slides (hidden until
// published) and publishes them; a participant sees them, downloads them and finds the
// notification and their calendar feed URL; the secretariat then takes attendance on a phone-sized
// screen (one tap per participant) and reads the attendance report with its at-risk mark.
// Screenshots go to tests/web/screenshots/rounds-*. Any unexpected 4xx/5xx answer, page error or
// console error fails the story.
//
// Environment: MAMORI_BIN (default ../../build/mamori), CHROMIUM (default /usr/bin/chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  Api, ADMIN_EMAIL, ADMIN_PASSWORD, DESKTOP, PHONE, SHOTS, BIN,
  haveServer, tid, startServer, person, go, signIn,
} from './lib.mjs';
import { admitThroughApplication } from './apps-flow.mjs';

let world = null;

before(async () => { if (haveServer) world = await startServer(); });
after(async () => { if (world) await world.stop(); });

/** A full-page picture at the page's current size (the phone steps stay on the phone). */
async function shot(page, name) {
  await page.evaluate(() => { const t = document.querySelector('.toast-region'); if (t) t.hidden = true; });
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(SHOTS, 'rounds-' + name + '.png'), fullPage: true });
  await page.evaluate(() => { const t = document.querySelector('.toast-region'); if (t) t.hidden = false; });
}

function programYear() {
  const now = new Date(Date.now() + 9 * 3600 * 1000);
  return now.getUTCMonth() + 1 >= 4 ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
}

test('rounds: standard ten → materials published → participant reads → attendance on a phone',
  { skip: haveServer ? false : `no server binary at ${BIN}`, timeout: 300000 }, async () => {
    const sec = await person(world, 'secretariat');
    const part = await person(world, 'participant');
    try {
      await story(sec, part);
    } catch (err) {
      for (const x of [sec, part]) {
        await x.page.screenshot({ path: path.join(SHOTS, 'rounds-FAILED-' + x.label + '.png'), fullPage: true }).catch(() => {});
      }
      throw err;
    }
    const problems = [sec, part].flatMap((x) => x.problems);
    for (const x of [sec, part]) await x.context.close();
    assert.deepEqual(problems, [], 'no unexpected HTTP errors, page errors or console errors');
    const contract = await world.checkContract();
    assert.ok(contract.checked > 20, 'the pages\' API answers were kept');
    assert.deepEqual(contract.mismatches, [], 'every API answer the pages got is as docs/openapi.json says');
  });

async function story(sec, part) {
  const s = sec.page;
  const p = part.page;
  await signIn(world, sec, ADMIN_EMAIL, ADMIN_PASSWORD);

  const admin = new Api(world.base);
  await admin.signIn(ADMIN_EMAIL, ADMIN_PASSWORD);

  // ---- the participant: applied on the public form, called, drawn, admitted, invitation accepted
  // (the applications story's flow, tests/web/apps-flow.mjs)
  await admitThroughApplication(world, { sec, applicant: part, company_name: '株式会社テスト製作所',
    contact_name: '佐藤 花子', contact_email: 'sato@example.jp' });

  // ---- the secretariat creates the standard ten rounds
  await go(world, s, '/rounds');
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
  await go(world, p, '/rounds');
  const pFirst = p.locator(`${tid('round')}[data-number="1"]`);
  await pFirst.waitFor();
  assert.equal(await pFirst.locator(tid('material')).count(), 0, 'an unpublished file is not shown to participants');
  await shot(s, '02-uploaded');

  await first.locator(tid('material-publish')).click();
  await first.locator(`${tid('material')}[data-published="yes"]`).waitFor();
  await shot(s, '03-published');

  // ---- the participant sees, downloads, is notified, and finds the calendar feed
  await go(world, p, '/rounds');
  await pFirst.locator(tid('material-link')).waitFor();
  assert.equal((await pFirst.locator(tid('material-link')).textContent()).trim(), '第1回_セミナー資料.pdf');
  const [download] = await Promise.all([p.waitForEvent('download'), pFirst.locator(tid('material-link')).click()]);
  assert.equal(download.suggestedFilename(), '第1回_セミナー資料.pdf');
  const saved = fs.readFileSync(await download.path(), 'utf8');
  assert.match(saved, /第1回 資料/);
  await shot(p, '04-participant-rounds');
  await go(world, p, '/notifications');
  await p.waitForSelector(`${tid('notification')} >> text=第1回`);
  await go(world, p, '/calendar');
  const url = await p.locator(tid('feed-url')).inputValue();
  assert.match(url, /^https:\/\/.+\/calendar\/[A-Za-z0-9_-]+\.ics$/);
  assert.equal(await p.locator(tid('howto-outlook')).count(), 1);
  await shot(p, '05-calendar-feed');
  const feed = await p.evaluate(async (u) => { const r = await fetch(new URL(u).pathname); return { s: r.status, t: await r.text() }; }, url);
  assert.equal(feed.s, 200);
  assert.match(feed.t, /BEGIN:VCALENDAR\r\n/);

  // ---- attendance on a phone: one tap per participant
  await s.setViewportSize(PHONE);
  await go(world, s, '/rounds');
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
  const roll = await admin.get('/rounds/' + (await s.evaluate(() => location.hash.split('/')[2])) + '/attendance');
  assert.equal(roll.participants[0].status, 'absent', 'the tap was saved');
  await shot(s, '07-attendance-absent-phone');

  // ---- the report: the absence marks the company at risk; CSV offered
  await s.setViewportSize(DESKTOP);
  await go(world, s, '/attendance');
  await s.waitForSelector(`${tid('attendance-row')}[data-at-risk="yes"]`);
  assert.match(await s.locator(tid('attendance-row')).first().textContent(), /第1回 欠席/);
  assert.equal(await s.locator(tid('attendance-csv')).getAttribute('href'), '/api/v1/attendance/report?format=csv');
  await shot(s, '08-attendance-report');
}
