// The applications story in the browser (docs/APPLICATIONS.md): a real mamori server (track capacity 1,
// so the lottery has to choose), Debian's chromium driven by playwright-core, three people, on the
// shared story library (lib.mjs) and the steps of apps-flow.mjs.
//
// Two companies apply on the public page without signing in — one reaches it from the sign-in page,
// is first refused as not an SME (the page explains), then applies exactly at the ceiling; the other
// reads the page in English. The secretariat sees both, records the calls, draws the lottery with the
// suggested seed (the page's sha256sum one-liner, run here, gives the page's order), admits the
// selected company, and its contact person accepts the invitation and signs in; the other stays on
// the waiting list. Any unexpected HTTP error, page error or console error fails the story, and
// every API answer the pages got is checked against docs/openapi.json. Screenshots:
// tests/web/screenshots/apps-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, person, shot, go, signIn, tid, haveServer, BIN, SHOTS, ADMIN_EMAIL, ADMIN_PASSWORD, SIGNED_OUT } from './lib.mjs';
import { applyViaPage, contactViaPage, drawViaPage, admitViaPage, acceptInviteViaPage } from './apps-flow.mjs';

let world = null;
before(async () => { if (haveServer) world = await startServer({ config: { track_capacity: 1 } }); });
after(async () => { if (world) await world.stop(); });

const A = { company_name: '株式会社みなと精機', industry: 'E', contact_name: '港 花子', contact_email: 'hanako@minato-seiki.example.jp' };
const B = { company_name: '有限会社すみだ工業', industry: 'D', capital_yen: 5000000, employees: 8, contact_name: '隅田 一郎', contact_email: 'ichiro@sumida.example.jp' };

async function story(sec, a, b) {
  // 1. A finds the form from the sign-in page (no account needed); over both ceilings it is refused.
  await a.expecting(SIGNED_OUT, async () => {
    await go(world, a.page, '/');
    await a.page.click(tid('apply-link'));
    await a.page.waitForSelector(tid('sme-table'));
  });
  await shot(a.page, 'apps-apply-form');
  await applyViaPage(world, a, { ...A, capital_yen: 400000000, employees: 320, expectError: 'not_sme' });
  assert.match(await a.page.textContent(tid('apply-error')), /中小企業/);
  await shot(a.page, 'apps-apply-error');
  let appA = 0;
  await a.expecting(SIGNED_OUT, async () => {
    await a.page.fill(tid('apply-employees'), '300'); // exactly at the ceiling: an SME
    await a.page.click(tid('apply-submit'));
    await a.page.waitForSelector(tid('apply-done'));
    appA = Number(await a.page.textContent(tid('apply-number')));
  });
  await shot(a.page, 'apps-apply-done');

  // B reads the page in English and applies.
  await b.expecting(SIGNED_OUT, async () => {
    await go(world, b.page, '/apply');
    await b.page.click(tid('lang-switch'));
    await b.page.waitForSelector('h1:text("Apply to the program")');
  });
  await shot(b.page, 'apps-apply-form-en');
  const appB = (await applyViaPage(world, b, B)).id;

  // 2. The secretariat: both in the list, none overdue; the calls are recorded.
  await signIn(world, sec, ADMIN_EMAIL, ADMIN_PASSWORD);
  await go(world, sec.page, '/applications');
  await sec.page.waitForSelector(`${tid('app')}[data-app-id="${appB}"]`);
  assert.match(await sec.page.textContent(tid('apps-overdue')), /0/);
  await shot(sec.page, 'apps-list');
  await contactViaPage(world, sec, appA, '港様と電話。都内本社・UTM導入済み・基本方針あり を確認');
  await contactViaPage(world, sec, appB, '隅田様と電話。条件を確認');

  // 3. The lottery: two candidates, one place; the page's own verification agrees with it.
  await go(world, sec.page, '/lottery');
  await sec.page.waitForSelector(tid('lottery-track-monozukuri'));
  assert.equal(await sec.page.textContent(`${tid('lottery-track-monozukuri')} ${tid('lottery-remaining')}`), '1');
  assert.match(await sec.page.inputValue(tid('lottery-seed')), /^\d{4}-\d{2}-\d{2}-[a-z0-9]{8}$/);
  await shot(sec.page, 'apps-lottery');
  const draw = await drawViaPage(world, sec);
  assert.deepEqual([...draw.tracks.monozukuri].sort(), [appA, appB].sort());
  const [winner, second] = draw.tracks.monozukuri;
  await shot(sec.page, 'apps-lottery-result');

  // 4. Admission of the selected company; its contact person accepts the invitation and signs in.
  const link = await admitViaPage(world, sec, winner);
  await shot(sec.page, 'apps-admitted');
  const who = winner === appA ? { p: a, ...A } : { p: b, ...B };
  await acceptInviteViaPage(world, who.p, link, who.contact_email, 'daihyou-no-himitsu-2027');
  assert.equal(await who.p.page.textContent(`${tid('current-user')} .user-name`), who.contact_name);
  await shot(who.p.page, 'apps-representative-signed-in');

  // 5. The other one waits on the waiting list.
  await go(world, sec.page, '/applications?status=waitlisted');
  await sec.page.waitForSelector(`${tid('app')}[data-app-id="${second}"]`);
  await shot(sec.page, 'apps-waitlisted');
}

test('applications: apply, call, lottery, admit, accept the invitation', { skip: haveServer ? false : `no server binary at ${BIN}`, timeout: 300000 }, async () => {
  const sec = await person(world, 'secretariat');
  const a = await person(world, 'applicant A');
  const b = await person(world, 'applicant B');
  try {
    await story(sec, a, b);
  } catch (err) {
    for (const x of [sec, a, b]) {
      await x.page.screenshot({ path: path.join(SHOTS, 'FAILED-apps-' + x.label.replace(/\W+/g, '-') + '.png'), fullPage: true }).catch(() => {});
    }
    throw err;
  }
  const problems = [sec, a, b].flatMap((x) => x.problems);
  for (const x of [sec, a, b]) await x.context.close();
  assert.deepEqual(problems, [], 'no unexpected HTTP errors, page errors or console errors');
  const contract = await world.checkContract();
  assert.ok(contract.checked > 20, 'the pages\' API answers were kept');
  assert.deepEqual(contract.mismatches, [], 'every API answer the pages got is as docs/openapi.json says');
});
