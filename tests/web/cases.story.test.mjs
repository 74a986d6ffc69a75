// The case collection story (docs/CASES.md), in chromium against the real server:
//   secretariat — writes a case draft in the UI; the findings are shown (marked in the draft and
//                 listed), submitting is disabled; fixes the draft, the findings go away, submits;
//   representative of the company — opens the review page (the exact text and its sha256), approves;
//   secretariat — publishes;
//   anyone, signed out — reaches the public page from the sign-in page and reads the case (never the
//                 company's name), opens the booklet; printed (print media emulated) it puts one
//                 case per page after the contents; screenshots of each step.
// Any HTTP answer >= 400 a page gets that its step did not expect, any page error and any console
// error fails the story; every API answer the pages got is checked against docs/openapi.json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  Api, startServer, person, shot, go, signIn, tid, haveServer, SHOTS, SIGNED_OUT,
  ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD,
} from './lib.mjs';

let world = null;
before(async () => { if (haveServer) world = await startServer(); });
after(async () => { if (world) await world.stop(); });

const COMPANY = '株式会社テスト精工';
const DIRTY = '## 取組\n\nテスト精工では山田 一郎さん（yamada@seiko.example.jp、03-1234-5678）が 192.168.1.20 の古いNASを廃止した。\n\n'
  + '2026年6月から月1回、専門家と打合せを重ねた。費用は 1,200,000円。';
const CLEAN = '## 取組\n\nA社では総務担当者が社内の古いNASを廃止した。\n\n'
  + '2026年6月から月1回、専門家と打合せを重ね、バックアップを 3-2-1 ルールで見直した。費用は 1,200,000円。';

async function setUp(base) {
  const sec = new Api(base);
  await sec.signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  for (const [kind, title, body] of [
    ['participation', '参加同意書', '本事業への参加にあたり、事例集作成への協力を含め以下に同意します。'],
    ['nda', '機密保持の同意書', 'コミュニティで知り得た他社の情報を第三者に開示しません。'],
  ]) await sec.post('/documents', { kind, title, body, material: true });
  const co = await sec.post('/companies', { name: COMPANY, industry: 'E', sme_class: 'manufacturing_other', capital_yen: 30000000, employees: 40 });
  const rep = { role: 'participant', name: '山田 一郎', email: 'yamada@seiko.example.jp', company_id: co.id, representative: true };
  const r = await sec.post('/users', rep);
  await new Api(base).post('/invites/' + encodeURIComponent(r.invite_token) + '/accept', { password: PASSWORD }, 200);
  const api = new Api(base);
  await api.signIn(rep.email, PASSWORD);
  for (const doc of await api.get('/documents/current')) {
    if (doc.pending.length) await api.post('/documents/' + doc.id + '/accept', { sha256: doc.sha256, on_behalf_of_company: doc.pending.includes('company') }, 201);
  }
  return { co, rep };
}

test('the case collection: draft → findings → fix → submit → approve → publish → public page → booklet', { skip: !haveServer && 'build/mamori is missing' }, async () => {
  const W = await setUp(world.base);
  const everyone = [];
  const s = await person(world, 'secretariat'); everyone.push(s);
  const a = await person(world, 'representative'); everyone.push(a);
  const anon = await person(world, 'signed out'); everyone.push(anon);
  let caseId = null;
  try {
    // The secretariat writes the draft.
    await signIn(world, s, ADMIN_EMAIL, ADMIN_PASSWORD);
    await go(world, s.page, '/cases');
    await s.page.click(tid('case-new'));
    await s.page.selectOption(tid('case-company'), String(W.co.id));
    await s.page.fill(tid('case-title'), 'テスト精工のNAS整理');
    await s.page.fill(tid('case-body'), DIRTY);
    await s.page.click(tid('case-create'));
    await s.page.waitForSelector(tid('case-editor'));
    caseId = Number(await s.page.getAttribute(tid('case-editor'), 'data-case-id'));

    // The findings: marked in the draft, listed, and submitting is disabled.
    await s.page.waitForSelector(tid('finding-list'));
    const kinds = await s.page.$$eval(tid('finding'), (els) => els.map((e) => e.dataset.kind).sort());
    for (const k of ['company_name', 'email', 'ip_address', 'person_name', 'phone']) assert.ok(kinds.includes(k), `finding ${k} shown: ${kinds}`);
    const marks = await s.page.$$eval(tid('finding-mark'), (els) => els.map((e) => e.textContent));
    assert.ok(marks.includes('192.168.1.20') && marks.includes('03-1234-5678') && marks.includes('テスト精工'), `marks: ${marks}`);
    assert.ok(await s.page.isDisabled(tid('case-submit')), 'submit disabled while findings remain');
    await shot(s.page, 'cases-findings');

    // Fixed and saved: no findings, submit.
    await s.page.fill(tid('case-edit-title'), '製造業A社のNAS整理');
    await s.page.fill(tid('case-edit-body'), CLEAN);
    assert.ok(await s.page.isDisabled(tid('case-submit')), 'submit disabled while unsaved');
    await s.page.click(tid('case-save'));
    await s.page.waitForSelector(tid('findings-none'));
    assert.equal(await s.page.$$eval(tid('finding-mark'), (els) => els.length), 0);
    await s.page.click(tid('case-submit'));
    await s.page.waitForSelector(`${tid('case-status')}[data-value="awaiting_approval"]`);

    // The representative reviews the exact text and its sha256, and approves.
    await signIn(world, a, W.rep.email, PASSWORD);
    await go(world, a.page, '/cases/' + caseId);
    await a.page.waitForSelector(tid('case-review'));
    const sha = (await a.page.textContent(tid('case-sha256'))).trim();
    assert.match(sha, /^[0-9a-f]{64}$/);
    const source = await a.page.textContent(tid('case-source'));
    assert.equal(source, '製造業A社のNAS整理\n' + CLEAN, 'the exact text is shown');
    await shot(a.page, 'cases-review');
    await a.page.click(tid('case-approve'));
    await a.page.waitForSelector(`${tid('case-status')}[data-value="approved"]`);

    // The secretariat publishes.
    await go(world, s.page, '/cases/' + caseId);
    await s.page.click(tid('case-publish'));
    await s.page.waitForSelector(`${tid('case-status')}[data-value="published"]`);

    // Signed out: from the sign-in page to the public page and the booklet.
    await anon.expecting(SIGNED_OUT, async () => {
      await go(world, anon.page, '/');
      await anon.page.click(tid('login-cases-link'));
      await anon.page.waitForSelector(tid('public-case'));
    });
    const text = await anon.page.textContent(tid('public-cases'));
    assert.ok(text.includes('製造業A社のNAS整理'), 'the case is on the public page');
    assert.ok(!text.includes('テスト精工'), 'never the company\'s name');
    await shot(anon.page, 'cases-public');
    await anon.page.click(tid('booklet-link'));
    await anon.page.waitForSelector(tid('booklet-case'));
    assert.equal(await anon.page.$$eval(`${tid('booklet-toc')} li`, (els) => els.length), 1);
    await anon.page.emulateMedia({ media: 'print' });
    const breaks = await anon.page.$$eval('.booklet-page', (els) => els.map((e) => getComputedStyle(e).breakAfter));
    assert.deepEqual(breaks, ['page', 'auto'], 'the contents page, then one case per page');
    assert.equal(await anon.page.isVisible(tid('booklet-print')), false, 'the print button is not printed');
    await anon.page.screenshot({ path: path.join(SHOTS, 'cases-booklet-print.png'), fullPage: true });
    await anon.page.emulateMedia({ media: 'screen' });
  } catch (err) {
    for (const x of everyone) {
      await x.page.screenshot({ path: path.join(SHOTS, 'FAILED-cases-' + x.label.replace(/\W+/g, '-') + '.png'), fullPage: true }).catch(() => {});
    }
    throw err;
  }
  const problems = everyone.flatMap((x) => x.problems);
  for (const x of everyone) await x.context.close();
  assert.deepEqual(problems, [], 'no unexpected HTTP errors, page errors or console errors');
  const contract = await world.checkContract();
  console.log(`${contract.checked} API answers checked against docs/openapi.json`);
  assert.deepEqual(contract.mismatches, [], 'every API answer the pages got is as docs/openapi.json says');
});
