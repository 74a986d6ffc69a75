// The browser story: a real mamori server, Debian's chromium driven by playwright-core, four people.
//
// The secretariat publishes the consent documents and sets up the program (group, two companies,
// three invitations, an expert assignment) through the UI; participant A (manufacturing, "D") and
// participant B (service, "G") accept their invitations and the consents, the expert accepts the NDA;
// A asks a company-only question, the secretariat escalates it, the expert answers, A accepts the
// answer — and B sees none of it: not in the list, not by direct URL, not in search.
// Screenshots of the main screens at desktop and phone widths go to tests/web/screenshots/.
//
// Environment: see lib.mjs. Any HTTP answer >= 400 a page gets that its step did not expect, any page
// error and any console error (CSP violations included) fails the story.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  startServer, person as newPerson, shot, go as open, signIn as signInAs, tid, haveServer, BIN, SHOTS,
  ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, SIGNED_OUT,
} from './lib.mjs';

let world = null;
let base = '';
before(async () => { if (haveServer) { world = await startServer(); base = world.base; } });
after(async () => { if (world) await world.stop(); });

const people = new Map(); // page → person, for the error watch
async function person(label) {
  const who = await newPerson(world, label);
  people.set(who.page, who);
  return who;
}
const go = (page, hash) => open(world, page, hash);
const signIn = (page, email, password) => signInAs(world, people.get(page), email, password);
/** Runs fn with the given HTTP errors expected on page. */
const expecting = (page, rules, fn) => people.get(page).expecting(rules, fn);

async function acceptConsents(page, kinds) {
  for (const kind of kinds) {
    const doc = page.locator(tid('consent-doc-' + kind));
    await doc.waitFor();
    await doc.locator(tid('consent-read-' + kind)).check();
    const behalf = doc.locator(tid('consent-behalf-' + kind));
    if (await behalf.count()) await behalf.check();
    await doc.locator(tid('consent-accept-' + kind)).click();
    await doc.waitFor({ state: 'detached' });
  }
  // Every pending consent done: the navigation and the home page appear.
  await page.waitForSelector(tid('nav-'));
}

async function invite(page, { role, name, email, company, representative, specialties }) {
  await go(page, '/registry/users');
  await page.selectOption(tid('user-role'), role);
  await page.fill(tid('user-name'), name);
  await page.fill(tid('user-email'), email);
  if (company) await page.selectOption(tid('user-company'), { label: company });
  if (role === 'participant') await page.setChecked(tid('user-representative'), !!representative);
  if (specialties) await page.fill(tid('user-specialties'), specialties);
  await page.click(tid('user-submit'));
  const url = await page.locator(tid('invite-url')).inputValue();
  assert.match(url, /#\/invite\/./, 'the invitation link is shown');
  return url;
}

async function acceptInvite(page, url, email) {
  await expecting(page, SIGNED_OUT, () => acceptInviteSteps(page, url, email));
}

async function acceptInviteSteps(page, url, email) {
  await page.goto(url);
  await page.fill(tid('invite-password'), PASSWORD);
  await page.fill(tid('invite-password2'), PASSWORD);
  await page.click(tid('invite-submit'));
  await page.waitForSelector(tid('login-notice'));
  if (!(await page.inputValue(tid('login-email')))) await page.fill(tid('login-email'), email);
  await page.fill(tid('login-password'), PASSWORD);
  await page.click(tid('login-submit'));
  await page.waitForSelector('.consent');
}

test('the program story, end to end in the browser', { skip: haveServer ? false : `no server binary at ${BIN}`, timeout: 300000 }, async () => {
  const sec = await person('secretariat');
  const a = await person('participant A');
  const b = await person('participant B');
  const ex = await person('expert');
  try {
    await story(sec, a, b, ex);
  } catch (err) {
    // Keep what each person was looking at when it went wrong.
    for (const x of [sec, a, b, ex]) {
      await x.page.screenshot({ path: path.join(SHOTS, 'FAILED-' + x.label.replace(/\W+/g, '-') + '.png'), fullPage: true }).catch(() => {});
    }
    throw err;
  }
  const problems = [sec, a, b, ex].flatMap((x) => x.problems);
  for (const x of [sec, a, b, ex]) await x.context.close();
  assert.deepEqual(problems, [], 'no unexpected HTTP errors, page errors or console errors');
  const contract = await world.checkContract();
  console.log(`${contract.checked} API answers checked against docs/openapi.json`);
  assert.ok(contract.checked > 50, 'the pages\' API answers were kept');
  assert.deepEqual(contract.mismatches, [], 'every API answer the pages got is as docs/openapi.json says');
});

async function story(sec, a, b, ex) {
  const s = sec.page;

  // ---- the secretariat signs in --------------------------------------------------------------
  await expecting(s, [...SIGNED_OUT, { status: 401, url: /\/api\/v1\/session$/ }], async () => {
    await go(s, '/');
    await s.waitForSelector(tid('login-form'));
    await shot(s, '01-login');
    await s.fill(tid('login-email'), ADMIN_EMAIL);
    await s.fill(tid('login-password'), 'wrong password, surely');
    await s.click(tid('login-submit'));
    await s.waitForSelector(tid('login-error'));
  });
  assert.match(await s.textContent(tid('login-error')), /メールアドレスまたはパスワードが正しくありません/);
  await signIn(s, ADMIN_EMAIL, ADMIN_PASSWORD);

  // ---- publishes both consent documents -------------------------------------------------------
  await go(s, '/documents');
  for (const [kind, title, body] of [
    ['participation', '参加同意書', '中小企業サイバーセキュリティ支援事業への参加にあたり、以下に同意します。\n1. ワークショップ（全10回）への参加\n2. 事例集作成への協力'],
    ['nda', '機密保持の同意書', 'コミュニティで知り得た他社の情報を第三者に開示しません。\n専門家派遣で知り得た情報も同様とします。'],
  ]) {
    await s.selectOption(tid('document-kind'), kind);
    await s.fill(tid('document-title'), title);
    await s.fill(tid('document-body'), body);
    await s.setChecked(tid('document-material'), true);
    await s.click(tid('document-submit'));
    await s.waitForSelector(tid('document-published'));
    await s.waitForSelector(tid('document-' + kind));
  }
  await shot(s, '02-documents');

  // ---- a category, a group, two companies -----------------------------------------------------
  await go(s, '/');
  await s.click(tid('category-new-toggle'));
  await s.fill(tid('category-slug'), 'questions');
  await s.fill(tid('category-name'), '質問・相談');
  await s.fill(tid('category-description'), 'セキュリティ対策の疑問を参加企業・専門家に相談できます');
  await s.click(tid('category-submit'));
  await s.waitForSelector(tid('category-questions'));

  await go(s, '/registry/groups');
  await s.fill(tid('group-name'), 'ワークショップ第1グループ');
  await s.click(tid('group-submit'));
  await s.waitForSelector(`${tid('group-list')} >> text=ワークショップ第1グループ`);

  await go(s, '/registry/companies');
  for (const co of [
    { name: '株式会社テスト建設', industry: 'D', sme: 'manufacturing_other', capital: '30000000', employees: '40' },
    { name: 'テスト情報サービス株式会社', industry: 'G', sme: 'service', capital: '10000000', employees: '12' },
  ]) {
    await s.fill(tid('company-name'), co.name);
    await s.selectOption(tid('company-industry'), co.industry);
    await s.selectOption(tid('company-sme-class'), co.sme);
    await s.fill(tid('company-capital'), co.capital);
    await s.fill(tid('company-employees'), co.employees);
    await s.selectOption(tid('company-group'), { label: 'ワークショップ第1グループ' });
    await s.click(tid('company-submit'));
    await s.waitForSelector(`${tid('company')} >> text=${co.name}`);
  }
  const companyA = s.locator(tid('company'), { hasText: '株式会社テスト建設' });
  assert.match(await companyA.textContent(), /ものづくり枠/);
  assert.match(await s.locator(tid('company'), { hasText: 'テスト情報サービス株式会社' }).textContent(), /サービス枠/);

  // ---- invitations ----------------------------------------------------------------------------
  const inviteA = await invite(s, { role: 'participant', name: '山田 太郎', email: 'yamada@a.example.jp', company: '株式会社テスト建設', representative: true });
  const inviteB = await invite(s, { role: 'participant', name: '佐藤 花子', email: 'sato@b.example.jp', company: 'テスト情報サービス株式会社', representative: true });
  const inviteX = await invite(s, { role: 'expert', name: '鈴木 専門家', email: 'suzuki@expert.example.jp', specialties: 'UTM, EDR, ISMS' });
  await shot(s, '03-registry-users');

  // ---- the expert is assigned to company A ----------------------------------------------------
  await go(s, '/registry/companies');
  const cardA = s.locator(tid('company'), { hasText: '株式会社テスト建設' });
  await cardA.locator(tid('expert-pick')).selectOption({ label: '鈴木 専門家' });
  await cardA.locator(tid('expert-assign')).click();
  await cardA.locator('.chip', { hasText: '鈴木 専門家' }).waitFor();
  await shot(s, '04-registry-companies');

  // ---- participants and the expert accept their invitations and consents ----------------------
  await expecting(a.page, SIGNED_OUT, async () => {
    await a.page.goto(inviteA);
    await a.page.waitForSelector(tid('invite-form'));
    await a.page.fill(tid('invite-password'), 'short');
    await a.page.fill(tid('invite-password2'), 'short');
    await a.page.click(tid('invite-submit'));
    assert.match(await a.page.textContent(tid('invite-error')), /12文字以上/);
    await shot(a.page, '05-invite');
  });
  await acceptInvite(a.page, inviteA, 'yamada@a.example.jp');
  await a.page.waitForSelector(tid('consent-behalf-participation'));
  await shot(a.page, '06-consent');
  await acceptConsents(a.page, ['participation', 'nda']);

  await acceptInvite(b.page, inviteB, 'sato@b.example.jp');
  await acceptConsents(b.page, ['participation', 'nda']);

  await acceptInvite(ex.page, inviteX, 'suzuki@expert.example.jp');
  assert.equal(await ex.page.locator(tid('consent-doc-participation')).count(), 0, 'an expert is asked for the NDA only');
  await acceptConsents(ex.page, ['nda']);

  // ---- participant A asks a company-only question ---------------------------------------------
  const title = 'UTMのファームウェア更新で社内VPNが切れる件';
  const p = a.page;
  await go(p, '/');
  await p.waitForSelector(tid('category-questions'));
  await shot(p, '07-home');
  await p.click(tid('new-thread'));
  await p.waitForSelector(tid('compose-form'));
  await p.selectOption(tid('compose-kind'), 'question');
  await p.check(tid('visibility-company'));
  assert.equal(await p.locator(tid('visibility-staff')).count(), 0, 'participants cannot choose staff-only');
  assert.match(await p.textContent(tid('compose-audience')), /自社のみ（担当専門家・事務局を含む）/);
  await p.fill(tid('compose-title'), title);
  await p.fill(tid('composer-body'), '## 状況\n\n先週 **UTM** のファームウェアを更新してから、拠点間VPNが毎晩切れます。\n\n- 機種: 社内標準のUTM\n- 発生時刻: 深夜2時ごろ');
  await p.fill(tid('compose-tags'), 'UTM');
  await p.click(tid('composer-body-preview'));
  await p.waitForSelector(`${tid('composer-body-preview-pane')} strong`);
  await shot(p, '08-compose');
  await p.click(tid('compose-submit'));
  await p.waitForSelector(tid('thread-view'));
  const threadId = await p.getAttribute(tid('thread-view'), 'data-thread-id');
  assert.ok(threadId, 'the new thread has an id');
  assert.equal(await p.getAttribute(tid('badge-visibility'), 'data-value'), 'company');
  assert.equal(await p.getAttribute(tid('badge-status'), 'data-value'), 'open');
  await p.setInputFiles(tid('attachment-input'), { name: 'utm-設定.txt', mimeType: 'text/plain', buffer: Buffer.from('ike-lifetime=28800\n') });
  await p.click(tid('attachment-upload'));
  await p.waitForSelector(`${tid('attachment-link')} >> text=utm-設定.txt`);
  const attachmentHref = await p.getAttribute(tid('attachment-link'), 'href');
  assert.match(attachmentHref, /^\/api\/v1\/attachments\/\d+$/);

  // ---- the secretariat escalates it to the expert ---------------------------------------------
  await go(s, '/triage');
  await s.waitForSelector(`${tid('triage-board')}, ${tid('triage-empty')}`);
  await shot(s, '09-triage');
  await go(s, '/threads/' + threadId);
  await s.waitForSelector(tid('escalate-panel'));
  await s.fill(tid('escalate-tags'), 'UTM');
  await s.click(tid('escalate-suggest'));
  const expertOption = s.locator(`${tid('escalate-panel')} label`, { hasText: '鈴木 専門家' });
  await expertOption.waitFor();
  await expertOption.locator('input').check();
  await s.fill(tid('escalate-note'), '拠点間VPNの切断。UTMの設定に詳しい方にお願いします。');
  await s.click(tid('escalate-submit'));
  await s.waitForSelector(`${tid('badge-status')}[data-value="escalated"]`);
  await shot(s, '10-thread-secretariat');

  // ---- the expert answers ---------------------------------------------------------------------
  const e = ex.page;
  await go(e, '/notifications');
  await e.waitForSelector(tid('notification'));
  await shot(e, '11-notifications');
  await e.click(`${tid('notification')} a[href="#/threads/${threadId}"]`);
  await e.waitForSelector(tid('reply-form'));
  await e.fill(tid('reply-body'), 'ファームウェア更新で **IKEの再鍵交換間隔** の既定値が変わった可能性があります。\n\n1. 両拠点の設定を比較してください\n2. DPD を有効にしてください');
  await e.click(tid('reply-submit'));
  await e.waitForFunction(() => document.querySelectorAll('[data-testid="post"]').length >= 2);
  await e.waitForSelector(`${tid('badge-status')}[data-value="answered"]`);

  // The expert's own queue lists it, now answered.
  await go(e, '/escalations?state=answered');
  await e.waitForSelector(`${tid('escalation')}[data-thread-id="${threadId}"]`);
  await shot(e, '12-expert-queue');

  // ---- participant A accepts the answer -------------------------------------------------------
  await go(p, '/threads/' + threadId);
  await p.waitForSelector(`${tid('badge-status')}[data-value="answered"]`);
  await p.locator(tid('post')).nth(1).locator(tid('accept-answer')).click();
  await p.waitForSelector(`${tid('badge-status')}[data-value="resolved"]`);
  await p.waitForSelector(tid('accepted-answer'));
  await shot(p, '13-thread-resolved');

  // ---- participant B sees none of it ----------------------------------------------------------
  const q = b.page;
  await go(q, '/');
  await q.waitForSelector(`${tid('thread-list')}, ${tid('thread-list-empty')}`);
  assert.equal(await q.locator(`${tid('thread-row')}[data-thread-id="${threadId}"]`).count(), 0, 'not in B\'s list');
  assert.equal(await q.getByText(title).count(), 0, 'the title is nowhere on B\'s home page');
  await q.click(tid('category-questions'));
  await q.waitForSelector(`${tid('thread-list')}, ${tid('thread-list-empty')}`);
  assert.equal(await q.locator(`${tid('thread-row')}[data-thread-id="${threadId}"]`).count(), 0, 'not in B\'s category list');
  await expecting(q, [{ status: 404, url: new RegExp('/api/v1/threads/' + threadId + '(/attachments)?$') }], async () => {
    const answer = q.waitForResponse((r) => r.url().endsWith('/api/v1/threads/' + threadId));
    await go(q, '/threads/' + threadId);
    assert.equal((await answer).status(), 404);
    await q.waitForSelector(tid('not-found'));
  });
  assert.equal(await q.getByText(title).count(), 0, 'not by direct URL');
  await shot(q, '14-not-found');
  assert.equal((await b.context.request.get(base + attachmentHref)).status(), 404, 'nor its attachment');
  assert.equal((await a.context.request.get(base + attachmentHref)).status(), 200, 'while A can download it');
  for (const word of ['ファームウェア', 'VPN', 'IKE']) {
    await go(q, '/search?q=' + encodeURIComponent(word));
    await q.waitForSelector(`${tid('search-results')}, ${tid('search-empty')}`);
    assert.equal(await q.locator(`${tid('search-result')}[data-thread-id="${threadId}"]`).count(), 0, `not in B's search for ${word}`);
  }
  await shot(q, '15-search-b');
  // …while A does find it.
  await go(p, '/search?q=' + encodeURIComponent('ファームウェア'));
  await p.waitForSelector(`${tid('search-result')}[data-thread-id="${threadId}"]`);
  await shot(p, '16-search-a');

  await go(p, '/account');
  await p.waitForSelector(tid('my-consents'));
  await shot(p, '17-account');

  // ---- the remaining secretariat screens ------------------------------------------------------
  await go(s, '/consents');
  await s.waitForSelector(tid('report-users'));
  assert.equal(await s.getAttribute(tid('report-csv'), 'href'), '/api/v1/consents/report?format=csv');
  await shot(s, '18-consent-report');
  await go(s, '/moderation');
  await s.waitForSelector(`${tid('flag-list')}, ${tid('flags-empty')}`);
  await shot(s, '19-moderation');
  await go(s, '/escalations');
  await s.waitForSelector(tid('escalation-list'));
  await shot(s, '20-escalations');
  await go(s, '/');
  await s.waitForSelector(`${tid('thread-row')}[data-thread-id="${threadId}"]`);
  await shot(s, '21-home-secretariat');

  // English switch works and times stay in JST.
  await s.click(tid('lang-switch'));
  await s.waitForSelector('text=Latest threads');
  await go(s, '/threads/' + threadId);
  await s.waitForSelector(tid('thread-view'));
  assert.match(await s.locator('time').first().textContent(), /JST$/);
  await shot(s, '22-thread-english');
  await s.click(tid('lang-switch'));

}
