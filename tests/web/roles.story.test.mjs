// The roles story: every role, every page of its navigation, every thread it can read, and every
// action it has, pressed in the browser against the real server.
//
// The world is set up through the API first (documents, categories, a group, two companies, a
// representative participant of each, an expert assigned to company A and one who is not, and
// threads of every visibility); then each person signs in to chromium and works through the UI:
//   participant B (another company) — follows, replies, flags, cannot open A's threads;
//   representative participant A  — replies, edits, flags, later accepts the expert's answer,
//                                    reopens, withdraws a consent and accepts the document again;
//   secretariat                   — escalates, resolves flags (dismiss, hide), hides/unhides,
//                                    redacts, locks/pins, moves, changes visibility, records a paper
//                                    consent, creates a company, invites (the invitee accepts and
//                                    consents in the UI), assigns an expert, suspends and reactivates;
//   assigned expert X             — answers the escalated question, edits the answer, follows;
//   unassigned expert Y           — sees only what the rule gives, declines an escalation.
// Any HTTP answer >= 400 a page gets that its step did not expect, any page error and any console
// error fails the story. Screenshots (desktop and phone) go to tests/web/screenshots/roles-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  Api, startServer, person, shot, go, signIn, tid, totpCode, haveServer, BIN, SHOTS,
  ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD,
} from './lib.mjs';

let world = null;
before(async () => { if (haveServer) world = await startServer(); });
after(async () => { if (world) await world.stop(); });

const NOT_FOUND = (re) => ({ status: 404, url: re });

// ---- the world, through the API --------------------------------------------------------------

async function setUp(base) {
  const sec = new Api(base);
  await sec.signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  for (const [kind, title, body] of [
    ['participation', '参加同意書', '中小企業サイバーセキュリティ支援事業への参加にあたり、以下に同意します。\n1. ワークショップへの参加\n2. 事例集作成への協力'],
    ['nda', '機密保持の同意書', 'コミュニティで知り得た他社の情報を第三者に開示しません。'],
  ]) await sec.post('/documents', { kind, title, body, material: true });
  const questions = await sec.post('/categories', { slug: 'questions', name: '質問・相談', description: 'セキュリティ対策の疑問を相談できます' });
  const general = await sec.post('/categories', { slug: 'general', name: '情報交換', description: '参加企業どうしの情報交換' });
  const group = await sec.post('/groups', { name: 'ワークショップ第1グループ' });
  const coA = await sec.post('/companies', { name: '株式会社テスト建設', industry: 'D', sme_class: 'manufacturing_other', capital_yen: 30000000, employees: 40, group_id: group.id });
  const coB = await sec.post('/companies', { name: 'テスト情報サービス株式会社', industry: 'G', sme_class: 'service', capital_yen: 10000000, employees: 12, group_id: group.id });

  const people = {};
  for (const [key, body] of [
    ['a', { role: 'participant', name: '山田 太郎', email: 'yamada@a.example.jp', company_id: coA.id, representative: true }],
    ['b', { role: 'participant', name: '佐藤 花子', email: 'sato@b.example.jp', company_id: coB.id, representative: true }],
    ['x', { role: 'expert', name: '鈴木 専門家', email: 'suzuki@expert.example.jp', specialties: ['UTM', 'VPN'] }],
    ['y', { role: 'expert', name: '高橋 専門家', email: 'takahashi@expert.example.jp', specialties: ['ISMS'] }],
  ]) {
    const r = await sec.post('/users', body);
    await new Api(base).post('/invites/' + encodeURIComponent(r.invite_token) + '/accept', { password: PASSWORD }, 200);
    const api = new Api(base);
    await api.signIn(body.email, PASSWORD);
    for (const doc of await api.get('/documents/current')) {
      if (doc.pending.length) await api.post('/documents/' + doc.id + '/accept', { sha256: doc.sha256, on_behalf_of_company: doc.pending.includes('company') }, 201);
    }
    people[key] = { ...body, id: r.user.id, api };
  }
  await sec.post('/companies/' + coA.id + '/experts', { expert_id: people.x.id }, 201);

  const { a, b, y } = people;
  const thread = async (api, body) => (await api.post('/threads', body, 201));
  const threads = {
    // A's company-only question: A, the assigned expert X and the secretariat read it.
    aQuestion: await thread(a.api, { category_id: questions.id, kind: 'question', visibility: 'company', title: 'UTMのファームウェア更新で社内VPNが切れる件', body: '先週 **UTM** を更新してから拠点間VPNが毎晩切れます。', tags: ['UTM'] }),
    // B's community discussion: everyone.
    bCommunity: await thread(b.api, { category_id: general.id, kind: 'discussion', visibility: 'community', title: 'パスワード管理ツールの導入事例', body: '社内でパスワード管理ツールを導入した方はいますか？' }),
    // A's group discussion: A, B (same group), X (assigned in the group), the secretariat.
    aGroup: await thread(a.api, { category_id: general.id, kind: 'discussion', visibility: 'group', title: 'グループ演習の進め方', body: '次回の演習の分担を決めましょう。' }),
    // The secretariat's staff-only note: experts and the secretariat.
    staff: await thread(sec, { category_id: general.id, kind: 'discussion', visibility: 'staff', title: '専門家向け：派遣の記録方法', body: '派遣後は報告書を提出してください。' }),
    // B's company-only question, escalated to the unassigned expert Y.
    bQuestion: await thread(b.api, { category_id: questions.id, kind: 'question', visibility: 'company', title: 'ISMS認証の準備について', body: 'ISMS認証を取るには何から始めればよいですか？', tags: ['ISMS'] }),
    // The secretariat's announcement: everyone.
    news: await thread(sec, { category_id: general.id, kind: 'announcement', visibility: 'community', title: '第2回ワークショップのお知らせ', body: '12月10日 14:00〜 オンラインで開催します。' }),
  };
  await sec.post('/threads/' + threads.bQuestion.id + '/escalations', { expert_id: y.id, note: 'ISMSの経験がある方にお願いします。' }, 201);
  // Posts for the moderation steps: A's reply in the group thread (B flags it), B's reply in the
  // community thread (A flags it), and an accidental post of B's that the secretariat redacts.
  const aGroupReply = await a.api.post('/threads/' + threads.aGroup.id + '/posts', { body: '私は資産の洗い出しを担当します。' }, 201);
  const bCommunityReply = await b.api.post('/threads/' + threads.bCommunity.id + '/posts', { body: '弊社では導入済みです。詳しくは担当の携帯 090-0000-0000 まで。' }, 201);
  const bMistake = await b.api.post('/threads/' + threads.bCommunity.id + '/posts', { body: '（誤って社外秘の取引先名を書いてしまいました）' }, 201);
  return { sec, people, companies: { a: coA, b: coB }, group, categories: { questions, general }, threads, posts: { aGroupReply, bCommunityReply, bMistake } };
}

// ---- what every person does: the navigation and the threads --------------------------------

/** Visits every page of the person's navigation (and the registry's tabs); returns the paths. */
async function tourNavigation(who, prefix) {
  const page = who.page;
  await go(world, page, '/');
  await page.waitForSelector(tid('category-list'));
  const hrefs = await page.$$eval('#site-nav a[href^="#/"]', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.length >= 3, 'a navigation');
  for (const href of hrefs) {
    await page.click(`#site-nav a[href="${href}"]`);
    await page.waitForSelector('[data-page-title]');
    await waitQuiet(page);
    const name = href.replace(/\W+/g, '-').replace(/^-|-$/g, '') || 'home';
    await shot(page, `roles-${prefix}-nav-${name}`);
  }
  // The header's own pages: the account, and a new thread.
  await page.click(tid('current-user'));
  await page.waitForSelector(tid('account-name'));
  await waitQuiet(page);
  await shot(page, `roles-${prefix}-account`);
  await go(world, page, '/new');
  await page.waitForSelector(tid('compose-form'));
  return [...hrefs, '#/account', '#/new'];
}

/** Waits until nothing is loading on the page. */
async function waitQuiet(page) {
  await page.waitForFunction(() => !document.querySelector('.loading'));
}

/** The thread ids the person's home list shows (all pages, via the API as that person). */
async function readable(api) {
  const r = await api.get('/threads?per_page=100');
  return r.threads.map((th) => th.id).sort((x, y) => x - y);
}

/** Opens every thread the person can read, in the UI, and checks the title shows. */
async function tourThreads(who, api) {
  const { threads } = await api.get('/threads?per_page=100');
  for (const th of threads) {
    await go(world, who.page, '/threads/' + th.id);
    await who.page.waitForSelector(`${tid('thread-view')}[data-thread-id="${th.id}"]`);
    assert.equal((await who.page.textContent(tid('thread-title'))).trim(), th.title);
    await waitQuiet(who.page);
  }
  return threads.length;
}

/** A thread the person may not read: 404 by direct URL, its title nowhere. */
async function cannotOpen(who, th) {
  await who.expecting([NOT_FOUND(new RegExp('/api/v1/threads/' + th.id + '(/attachments)?$'))], async () => {
    // Wait for the server's answer itself: the page may still show the previous not-found.
    const answer = who.page.waitForResponse((r) => r.url().endsWith('/api/v1/threads/' + th.id));
    await go(world, who.page, '/threads/' + th.id);
    assert.equal((await answer).status(), 404);
    await who.page.waitForSelector(tid('not-found'));
  });
  assert.equal(await who.page.getByText(th.title).count(), 0, `${who.label} sees no trace of "${th.title}"`);
}

async function openThread(who, th) {
  await go(world, who.page, '/threads/' + th.id);
  await who.page.waitForSelector(`${tid('thread-view')}[data-thread-id="${th.id}"]`);
  await waitQuiet(who.page);
}

const postSel = (id) => `${tid('post')}[data-post-id="${id}"]`;

async function reply(who, text) {
  const p = who.page;
  const before = await p.locator(tid('post')).count();
  await p.fill(tid('reply-body'), text);
  await p.click(tid('reply-submit'));
  await p.waitForFunction((n) => document.querySelectorAll('[data-testid="post"]').length > n, before);
}

async function follow(who) {
  const p = who.page;
  const pressed = await p.getAttribute(tid('thread-follow'), 'aria-pressed');
  await p.click(tid('thread-follow'));
  await p.waitForSelector(`${tid('thread-follow')}[aria-pressed="${pressed === 'true' ? 'false' : 'true'}"]`);
}

async function flag(who, postId, reason) {
  const p = who.page;
  const post = p.locator(postSel(postId));
  await post.locator(tid('post-flag')).click();
  await post.locator(tid('flag-reason')).fill(reason);
  await post.locator(tid('flag-submit')).click();
  await post.locator(tid('flag-form')).waitFor({ state: 'detached' });
}

async function editLast(who, text) {
  const p = who.page;
  const post = p.locator(tid('post')).last();
  await post.locator(tid('post-edit')).click();
  await post.locator(tid('edit-body')).fill(text);
  await post.locator(tid('edit-save')).click();
  await post.locator(tid('post-history')).waitFor();
  await post.locator(tid('post-history')).click();
  await post.locator(`${tid('revisions')} li`).first().waitFor(); // the earlier text is kept
}

/** Starts a thread in the UI; returns its id. */
async function compose(who, { kind, visibility, scope, title, body }) {
  const p = who.page;
  await go(world, p, '/new');
  await p.waitForSelector(tid('compose-form'));
  await p.selectOption(tid('compose-kind'), kind);
  await p.check(tid('visibility-' + visibility));
  if (scope) await p.selectOption(tid('compose-scope'), String(scope));
  await p.fill(tid('compose-title'), title);
  await p.fill(tid('composer-body'), body);
  await p.click(tid('compose-submit'));
  await p.waitForSelector(`${tid('thread-view')} ${tid('thread-title')} >> text=${title}`);
  return Number(await p.getAttribute(tid('thread-view'), 'data-thread-id'));
}

// ---- the story -------------------------------------------------------------------------------

const coverage = {}; // role → actions pressed, printed at the end for the report
const did = (role, action) => { (coverage[role] ||= []).push(action); };

test('every role: every page, every readable thread, every action', { skip: haveServer ? false : `no server binary at ${BIN}`, timeout: 600000 }, async () => {
  const w = await setUp(world.base);
  const { threads: T, people: P, posts } = w;
  const everyone = [];
  const make = async (label) => { const x = await person(world, label); everyone.push(x); return x; };
  try {
    // ---- participant B, of another company ------------------------------------------------
    const b = await make('participant B');
    await signIn(world, b, P.b.email, PASSWORD);
    did('participant B', 'pages: ' + (await tourNavigation(b, 'b')).join(' '));
    assert.deepEqual(await readable(P.b.api), [T.bCommunity.id, T.aGroup.id, T.bQuestion.id, T.news.id].sort((x, y) => x - y));
    did('participant B', `threads read: ${await tourThreads(b, P.b.api)}`);
    await cannotOpen(b, T.aQuestion); did('participant B', 'A\'s company question: 404');
    await cannotOpen(b, T.staff); did('participant B', 'staff thread: 404');
    await openThread(b, T.bCommunity);
    await follow(b); did('participant B', 'follow');
    await reply(b, '皆さんの事例も教えてください。'); did('participant B', 'reply');
    await editLast(b, '皆さんの導入事例も教えてください（追記）。'); did('participant B', 'edit own post');
    await openThread(b, T.aGroup);
    await flag(b, posts.aGroupReply.id, '担当の割り振りが未確定のため確認したいです'); did('participant B', 'flag');
    assert.equal(await b.page.locator(tid('escalate-panel')).count(), 0, 'no staff tools for a participant');
    await shot(b.page, 'roles-b-thread-group');
    await go(world, b.page, '/new');
    await b.page.waitForSelector(tid('compose-form'));
    assert.deepEqual(await b.page.$$eval('input[data-testid^="visibility-"]', (xs) => xs.map((v) => v.value)), ['community', 'group', 'company']);
    const bOwn = await compose(b, { kind: 'question', visibility: 'company', title: '委託先のアクセス権限の棚卸し', body: '委託先に付与しているVPNアカウントの棚卸し方法を教えてください。' });
    assert.ok(!(await readable(P.a.api)).includes(bOwn), 'A does not read B\'s company question');
    did('participant B', 'start a company-only question');

    // ---- representative participant A ------------------------------------------------------
    const a = await make('participant A');
    await signIn(world, a, P.a.email, PASSWORD);
    did('participant A', 'pages: ' + (await tourNavigation(a, 'a')).join(' '));
    assert.deepEqual(await readable(P.a.api), [T.aQuestion.id, T.bCommunity.id, T.aGroup.id, T.news.id].sort((x, y) => x - y));
    did('participant A', `threads read: ${await tourThreads(a, P.a.api)}`);
    await cannotOpen(a, T.bQuestion); did('participant A', 'B\'s company question: 404');
    await openThread(a, T.bCommunity);
    await flag(a, posts.bCommunityReply.id, '個人の携帯番号が書かれています'); did('participant A', 'flag');
    await openThread(a, T.aGroup);
    await reply(a, '資産台帳のひな形を添付します。'); did('participant A', 'reply');
    await a.page.setInputFiles(tid('attachment-input'), { name: '資産台帳.csv', mimeType: 'text/csv', buffer: Buffer.from('資産,担当\nUTM,山田\n') });
    await a.page.click(tid('attachment-upload'));
    await a.page.waitForSelector(`${tid('attachment-link')} >> text=資産台帳.csv`); did('participant A', 'attach a file');
    await shot(a.page, 'roles-a-thread-attachment');
    await editLast(a, '資産台帳のひな形を添付しました。ご確認ください。'); did('participant A', 'edit own post');

    // ---- the secretariat -------------------------------------------------------------------
    const s = await make('secretariat');
    await signIn(world, s, ADMIN_EMAIL, ADMIN_PASSWORD);
    did('secretariat', 'pages: ' + (await tourNavigation(s, 'sec')).join(' '));
    for (const tab of ['companies', 'users', 'groups']) {
      await go(world, s.page, '/registry/' + tab);
      await s.page.waitForSelector(`${tid('registry-tab-' + tab)}[aria-current="page"]`);
      await waitQuiet(s.page);
    }
    assert.equal((await readable(w.sec)).length, Object.keys(T).length + 1, 'the secretariat reads every thread (B\'s own question too)');
    did('secretariat', `threads read: ${await tourThreads(s, w.sec)}`);

    // Escalates A's question to the assigned expert X.
    await openThread(s, T.aQuestion);
    await s.page.click(tid('escalate-suggest'));
    await s.page.locator(`${tid('escalate-panel')} label`, { hasText: P.x.name }).locator('input').check();
    await s.page.fill(tid('escalate-note'), 'VPNの切断。UTMの設定に詳しい方にお願いします。');
    await s.page.click(tid('escalate-submit'));
    await s.page.waitForSelector(`${tid('badge-status')}[data-value="escalated"]`); did('secretariat', 'escalate');
    await shot(s.page, 'roles-sec-thread-escalated');

    // The flags: B's (on A's reply) dismissed, A's (on B's phone number) resolved by hiding.
    await go(world, s.page, '/moderation');
    await s.page.waitForSelector(tid('flag-list'));
    await shot(s.page, 'roles-sec-moderation-open');
    const flagOn = (postId) => s.page.locator(`${tid('flag')}[data-post-id="${postId}"]`);
    await flagOn(posts.aGroupReply.id).locator(tid('flag-resolve')).click();
    await flagOn(posts.aGroupReply.id).waitFor({ state: 'detached' }); did('secretariat', 'resolve flag (dismiss)');
    await flagOn(posts.bCommunityReply.id).locator(tid('flag-resolve-hide')).click();
    await s.page.waitForSelector(tid('flags-empty')); did('secretariat', 'resolve flag (hide the post)');
    await s.page.selectOption(tid('flag-state'), 'resolved');
    await s.page.waitForSelector(`${tid('flag')}[data-state="resolved"]`);
    assert.equal(await s.page.locator(tid('flag')).count(), 2);
    await shot(s.page, 'roles-sec-moderation-resolved');
    // The hidden post is back after a look; the accidental one is redacted.
    await openThread(s, T.bCommunity);
    const hidden = s.page.locator(postSel(posts.bCommunityReply.id));
    await hidden.locator(tid('post-unhide')).click();
    await hidden.locator(tid('post-hide')).waitFor(); did('secretariat', 'unhide');
    await hidden.locator(tid('post-hide')).click();
    await hidden.locator(tid('post-unhide')).waitFor(); did('secretariat', 'hide');
    const mistake = s.page.locator(postSel(posts.bMistake.id));
    await mistake.locator(tid('post-redact')).click();
    await mistake.locator(tid('redact-reason')).fill('取引先名の誤記載（本人の依頼）');
    await mistake.locator(tid('redact-submit')).click();
    await mistake.locator(tid('post-redacted')).waitFor(); did('secretariat', 'redact');
    assert.equal(await mistake.getByText('取引先名').count(), 0, 'the redacted text is gone');
    await s.page.click(tid('thread-lock'));
    await s.page.waitForSelector(tid('badge-locked'));
    await s.page.waitForSelector(tid('thread-locked'));
    await shot(s.page, 'roles-sec-thread-moderated');
    await s.page.click(tid('thread-lock'));
    await s.page.waitForSelector(tid('reply-form')); did('secretariat', 'lock, unlock');
    await s.page.click(tid('thread-pin'));
    await s.page.waitForSelector('.thread-head .badge.pin'); did('secretariat', 'pin');
    await s.page.locator(postSel(posts.bCommunityReply.id)).waitFor();
    // Moves the group thread to the questions category, makes the announcement group-only and back.
    await openThread(s, T.aGroup);
    await s.page.selectOption(tid('thread-category'), String(w.categories.questions.id));
    await s.page.click(tid('thread-move'));
    await s.page.waitForSelector(`.crumbs a[href="#/categories/${w.categories.questions.id}"]`); did('secretariat', 'move');
    await s.page.selectOption(tid('thread-visibility'), 'community');
    await s.page.click(tid('thread-visibility-apply'));
    await s.page.waitForSelector(`${tid('badge-visibility')}[data-value="community"]`);
    await s.page.selectOption(tid('thread-visibility'), 'group');
    await s.page.click(tid('thread-visibility-apply'));
    await s.page.waitForSelector(`${tid('badge-visibility')}[data-value="group"]`); did('secretariat', 'change visibility');
    await reply(s, '事務局です。演習の資料は来週お送りします。'); did('secretariat', 'reply');
    await editLast(s, '事務局です。演習の資料は来週月曜にお送りします。'); did('secretariat', 'edit own post');
    await follow(s); did('secretariat', 'follow');
    // A company-only thread for company B, started by the secretariat.
    await go(world, s.page, '/new');
    await s.page.waitForSelector(tid('compose-form'));
    const vis = await s.page.$$eval('input[data-testid^="visibility-"]', (xs) => xs.map((x) => x.value));
    assert.deepEqual(vis, ['community', 'group', 'company', 'staff']);
    const forB = await compose(s, { kind: 'discussion', visibility: 'company', scope: w.companies.b.id, title: '事務局より：派遣日程の確認', body: '専門家派遣の日程をご確認ください。' });
    assert.ok((await readable(P.b.api)).includes(forB), 'B reads the thread for B');
    assert.ok(!(await readable(P.a.api)).includes(forB), 'A does not');
    did('secretariat', 'start a company thread for a company');

    // A paper consent for company B's NDA.
    await go(world, s.page, '/consents');
    await s.page.waitForSelector(tid('report-companies'));
    await s.page.click(tid('paper-toggle'));
    await s.page.selectOption(tid('paper-company'), String(w.companies.b.id));
    const ndaId = (await w.sec.get('/documents/current')).find((d) => d.kind === 'nda').id;
    await s.page.selectOption(tid('paper-document'), String(ndaId));
    await s.page.fill(tid('paper-reference'), '書面受付 2026-012');
    await s.page.click(tid('paper-submit'));
    await s.page.waitForFunction(() => document.querySelector('[data-testid="paper-reference"]').value === '');
    const records = await w.sec.get('/consents?company_id=' + w.companies.b.id);
    assert.ok(records.some((r) => r.action === 'record' && r.method === 'paper' && r.reference === '書面受付 2026-012'), 'the paper consent is on record');
    await s.page.waitForSelector(`${tid('report-companies')} ${tid('consent-method')} >> text=紙の書面`);
    did('secretariat', 'record a paper consent');
    await shot(s.page, 'roles-sec-consent-report');

    // A third company, its participant invited; the invitee signs up and consents in the UI.
    await go(world, s.page, '/registry/companies');
    await s.page.waitForSelector(tid('track-summary'));
    assert.match(await s.page.textContent(tid('track-monozukuri')), /1\s*\/\s*15/);
    await s.page.fill(tid('company-name'), '有限会社テスト製作所');
    await s.page.selectOption(tid('company-industry'), 'E');
    await s.page.selectOption(tid('company-sme-class'), 'manufacturing_other');
    await s.page.fill(tid('company-capital'), '5000000');
    await s.page.fill(tid('company-employees'), '8');
    await s.page.selectOption(tid('company-group'), { label: w.group.name });
    await s.page.click(tid('company-submit'));
    await s.page.waitForSelector(`${tid('company')} >> text=有限会社テスト製作所`); did('secretariat', 'create a company');
    assert.match(await s.page.textContent(tid('track-monozukuri')), /2\s*\/\s*15/);
    // Assigns the unassigned expert Y to company B, and back off again.
    const cardB = s.page.locator(tid('company'), { hasText: w.companies.b.name });
    await cardB.locator(tid('expert-pick')).selectOption({ label: P.y.name });
    await cardB.locator(tid('expert-assign')).click();
    await cardB.locator('.chip', { hasText: P.y.name }).waitFor(); did('secretariat', 'assign an expert');
    await shot(s.page, 'roles-sec-registry-cards');
    await s.page.click(tid('company-view-table'));
    await s.page.waitForSelector(tid('company-table'));
    assert.match(await s.page.textContent(`${tid('company-row')}[data-company-id="${w.companies.b.id}"]`), new RegExp(P.y.name));
    await shot(s.page, 'roles-sec-registry-table'); did('secretariat', 'company table view');
    await s.page.click(tid('company-view-cards'));
    await cardB.locator(tid('expert-unassign')).click();
    await cardB.locator('.chip').waitFor({ state: 'detached' }); did('secretariat', 'unassign an expert');

    await go(world, s.page, '/registry/users');
    await s.page.selectOption(tid('user-role'), 'participant');
    await s.page.fill(tid('user-name'), '伊藤 次郎');
    await s.page.fill(tid('user-email'), 'ito@c.example.jp');
    await s.page.selectOption(tid('user-company'), { label: '有限会社テスト製作所' });
    await s.page.setChecked(tid('user-representative'), true);
    await s.page.click(tid('user-submit'));
    const inviteUrl = await s.page.locator(tid('invite-url')).inputValue(); did('secretariat', 'invite');
    const c = await make('participant C');
    await c.expecting([{ status: 401, url: /\/api\/v1\/me$/ }], async () => {
      await c.page.goto(inviteUrl);
      await c.page.fill(tid('invite-password'), PASSWORD);
      await c.page.fill(tid('invite-password2'), PASSWORD);
      await c.page.click(tid('invite-submit'));
      await c.page.waitForSelector(tid('login-notice'));
      await c.page.fill(tid('login-password'), PASSWORD);
      await c.page.click(tid('login-submit'));
      await c.page.waitForSelector(tid('consent-behalf-participation'));
    });
    await shot(c.page, 'roles-c-consent');
    for (const kind of ['participation', 'nda']) {
      const doc = c.page.locator(tid('consent-doc-' + kind));
      await doc.locator(tid('consent-read-' + kind)).check();
      await doc.locator(tid('consent-accept-' + kind)).click();
      await doc.waitFor({ state: 'detached' });
    }
    await c.page.waitForSelector(tid('category-list')); did('participant C (invited)', 'accept the invitation, accept both documents for the company');
    // Suspended: C's next request is refused and the app goes back to the sign-in page.
    await go(world, s.page, '/registry/users');
    const rowC = s.page.locator(tid('user-row'), { hasText: 'ito@c.example.jp' });
    await rowC.locator(tid('user-toggle')).click();
    await rowC.locator('.badge.user-suspended').waitFor(); did('secretariat', 'suspend');
    await shot(s.page, 'roles-sec-registry-users');
    await c.expecting([{ status: 401, url: /\/api\/v1\// }], async () => {
      await go(world, c.page, '/');
      await c.page.waitForSelector(tid('login-form'));
    });
    await rowC.locator(tid('user-toggle')).click();
    await rowC.locator('.badge.user-active').waitFor(); did('secretariat', 'reactivate');
    // Company C completes the program (read-only) and its place is free again; then back.
    await go(world, s.page, '/registry/companies');
    const cardC = s.page.locator(tid('company'), { hasText: '有限会社テスト製作所' });
    await cardC.locator(tid('company-status')).selectOption('completed');
    await s.page.locator(tid('track-monozukuri'), { hasText: /1\s*\/\s*15/ }).waitFor();
    await cardC.locator(tid('company-status')).selectOption('active');
    await s.page.locator(tid('track-monozukuri'), { hasText: /2\s*\/\s*15/ }).waitFor(); did('secretariat', 'change a company\'s status');

    // ---- the assigned expert X answers ------------------------------------------------------
    const x = await make('expert X');
    await signIn(world, x, P.x.email, PASSWORD);
    did('expert X (assigned)', 'pages: ' + (await tourNavigation(x, 'x')).join(' '));
    assert.deepEqual(await readable(P.x.api), [T.aQuestion.id, T.bCommunity.id, T.aGroup.id, T.staff.id, T.news.id].sort((p, q) => p - q));
    did('expert X (assigned)', `threads read: ${await tourThreads(x, P.x.api)}`);
    await cannotOpen(x, T.bQuestion); did('expert X (assigned)', 'B\'s company question: 404');
    await go(world, x.page, '/escalations');
    await x.page.click(`${tid('escalation')}[data-thread-id="${T.aQuestion.id}"] ${tid('escalation-link')}`);
    await x.page.waitForSelector(`${tid('thread-view')}[data-thread-id="${T.aQuestion.id}"]`);
    await reply(x, 'ファームウェア更新で **IKEの再鍵交換間隔** の既定値が変わった可能性があります。');
    await x.page.waitForSelector(`${tid('badge-status')}[data-value="answered"]`); did('expert X (assigned)', 'answer the escalation (reply)');
    await editLast(x, 'ファームウェア更新で **IKEの再鍵交換間隔** の既定値が変わった可能性があります。両拠点の設定を比べてください。'); did('expert X (assigned)', 'edit own post');
    await follow(x); did('expert X (assigned)', 'follow');
    await openThread(x, T.bCommunity);
    await flag(x, T.bCommunity.first_post_id, '宣伝のように見えます'); did('expert X (assigned)', 'flag');
    await shot(x.page, 'roles-x-thread');
    await go(world, x.page, '/new');
    await x.page.waitForSelector(tid('compose-form'));
    assert.deepEqual(await x.page.$$eval('input[data-testid^="visibility-"]', (xs) => xs.map((v) => v.value)), ['community', 'staff'],
      'an expert has no company or group to write to');
    const xStaff = await compose(x, { kind: 'discussion', visibility: 'staff', title: '専門家メモ：VPN障害の切り分け手順', body: '1. IKEのログを確認\n2. DPDの設定を確認' });
    did('expert X (assigned)', 'start a staff thread');

    // ---- A accepts the answer, reopens, accepts again; withdraws a consent and accepts again ----
    await openThread(a, T.aQuestion);
    await a.page.waitForSelector(`${tid('badge-status')}[data-value="answered"]`);
    await a.page.locator(tid('post')).nth(1).locator(tid('accept-answer')).click();
    await a.page.waitForSelector(`${tid('badge-status')}[data-value="resolved"]`); did('participant A', 'accept the answer');
    await a.page.click(tid('question-reopen'));
    await a.page.waitForSelector(`${tid('badge-status')}[data-value="open"]`); did('participant A', 'reopen');
    await a.page.locator(tid('post')).nth(1).locator(tid('accept-answer')).click();
    await a.page.waitForSelector(tid('accepted-answer'));
    await follow(a); did('participant A', 'follow');
    await shot(a.page, 'roles-a-thread-resolved');
    await go(world, a.page, '/account');
    await a.page.waitForSelector(tid('my-consents'));
    await shot(a.page, 'roles-a-account');
    const ndaRow = a.page.locator(`${tid('consent-record')}[data-kind="nda"][data-scope="personal"][data-in-effect="true"]`);
    await ndaRow.locator(tid('consent-withdraw')).click();
    await ndaRow.locator(tid('consent-withdraw-confirm')).click();
    await a.page.waitForSelector(tid('consent-doc-nda')); did('participant A', 'withdraw a consent (the gate closes)');
    await shot(a.page, 'roles-a-consent-again');
    await a.page.locator(tid('consent-read-nda')).check();
    await a.page.locator(tid('consent-accept-nda')).click();
    await a.page.waitForSelector(tid('my-consents')); // the gate opens onto the page A was on
    did('participant A', 'accept a document');
    await go(world, a.page, '/notifications');
    await a.page.waitForSelector(tid('notification'));
    await a.page.click(tid('notifications-read-all'));
    await a.page.waitForSelector(`${tid('notifications-read-all')}[disabled]`);
    await a.page.locator(tid('unread-notifications')).waitFor({ state: 'detached' }); // no unread count left
    did('participant A', 'mark notifications read');

    // ---- the unassigned expert Y, of whom the secretariat requires two-step sign-in ------------
    await go(world, s.page, '/registry/users');
    const rowY = s.page.locator(tid('user-row'), { hasText: P.y.email });
    await rowY.locator(tid('user-totp-required')).click();
    await rowY.locator(`${tid('user-totp-required')}[aria-pressed="true"]`).waitFor(); did('secretariat', 'require two-step sign-in');
    const y = await make('expert Y');
    await signIn(world, y, P.y.email, PASSWORD);
    // Signed in, Y is shown the account page and nothing else until two-step sign-in is set up.
    await y.page.waitForSelector(tid('totp-start'));
    assert.equal(await y.page.locator('#site-nav').count(), 0, 'no navigation before two-step sign-in is set up');
    await y.page.click(tid('totp-start'));
    const secret = (await y.page.textContent(tid('totp-secret'))).trim();
    await shot(y.page, 'roles-y-totp-setup');
    await y.page.fill(tid('totp-code'), totpCode(secret));
    await y.page.click(tid('totp-confirm'));
    await y.page.waitForSelector('#site-nav'); did('expert Y (unassigned)', 'set up two-step sign-in (required)');
    did('expert Y (unassigned)', 'pages: ' + (await tourNavigation(y, 'y')).join(' '));
    assert.deepEqual(await readable(P.y.api), [T.bCommunity.id, T.staff.id, T.bQuestion.id, T.news.id, xStaff].sort((p, q) => p - q));
    did('expert Y (unassigned)', `threads read: ${await tourThreads(y, P.y.api)}`);
    await cannotOpen(y, T.aQuestion); did('expert Y (unassigned)', 'A\'s company question: 404');
    await cannotOpen(y, T.aGroup); did('expert Y (unassigned)', 'A\'s group thread: 404');
    await openThread(y, T.bCommunity);
    await reply(y, 'パスワード管理ツールは多要素認証と組み合わせるのがおすすめです。'); did('expert Y (unassigned)', 'reply');
    await follow(y); did('expert Y (unassigned)', 'follow');
    await go(world, y.page, '/escalations');
    const esc = y.page.locator(`${tid('escalation')}[data-thread-id="${T.bQuestion.id}"]`);
    await esc.locator(tid('escalation-decline')).click();
    await esc.locator(tid('escalation-decline-reason')).fill('今月は派遣予定が埋まっているため');
    await shot(y.page, 'roles-y-escalations');
    await y.expecting([NOT_FOUND(new RegExp('/api/v1/threads/' + T.bQuestion.id + '(/attachments)?$'))], async () => {
      await esc.locator(tid('escalation-decline-submit')).click();
      await y.page.waitForSelector(tid('escalations-empty'));
    });
    did('expert Y (unassigned)', 'decline the escalation');
    await cannotOpen(y, T.bQuestion); did('expert Y (unassigned)', 'B\'s question after declining: 404');

    // The secretariat's triage board now shows the declined question.
    await go(world, s.page, '/triage');
    await s.page.waitForSelector(`${tid('triage-item')}[data-thread-id="${T.bQuestion.id}"]`);
    await shot(s.page, 'roles-sec-triage');
    did('secretariat', 'triage shows the declined question');
  } catch (err) {
    for (const x of everyone) {
      await x.page.screenshot({ path: path.join(SHOTS, 'FAILED-roles-' + x.label.replace(/\W+/g, '-') + '.png'), fullPage: true }).catch(() => {});
    }
    throw err;
  } finally {
    console.log(JSON.stringify(coverage, null, 1));
  }
  const problems = everyone.flatMap((x) => x.problems);
  for (const x of everyone) await x.context.close();
  assert.deepEqual(problems, [], 'no unexpected HTTP errors, page errors or console errors');
  const contract = await world.checkContract();
  console.log(`${contract.checked} API answers checked against docs/openapi.json`);
  assert.ok(contract.checked > 50, 'the pages\' API answers were kept');
  assert.deepEqual(contract.mismatches, [], 'every API answer the pages got is as docs/openapi.json says');
});
