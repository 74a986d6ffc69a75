// The expert-dispatch story's steps (docs/DISPATCH.md), shared so that a later story (the case
// collection) can start from its end state: visits.story.test.mjs runs them; another story may
// call setUpDispatch + dispatchStory on its own world and continue with the same people.
import assert from 'node:assert/strict';
import { ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Api, tid, shot, go, signIn } from './lib.mjs';

export const REPORT = '## 第1回の所見\n\n- バックアップが社内NASのみ\n- **VPN機器**の更新が未実施\n\n次回までに資産台帳を作成します。';

/** Sets the program up through the API: returns ids and the people. */
export async function setUpDispatch(world) {
  const admin = new Api(world.base);
  await admin.signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  const g = await admin.post('/groups', { name: 'ものづくりA' });
  const company = (name) => admin.post('/companies', { name, industry: 'E', sme_class: 'manufacturing_other',
    capital_yen: 30000000, employees: 40, group_id: g.id });
  const cA = await company('株式会社みらい製作所');
  const cB = await company('有限会社となり工業');
  const people = {};
  for (const [key, role, name, co] of [['a', 'participant', '山田 花子', cA.id], ['b', 'participant', '鈴木 次郎', cB.id],
    ['ex', 'expert', '佐藤 専門家', null]]) {
    const email = key + '@example.jp';
    const body = { email, name, role };
    if (co) body.company_id = co;
    if (role === 'expert') body.specialties = ['ネットワーク'];
    const u = await admin.post('/users', body);
    await new Api(world.base).post(`/invites/${u.invite_token}/accept`, { password: PASSWORD });
    people[key] = { id: u.user.id, email, name };
  }
  await admin.post(`/companies/${cA.id}/experts`, { expert_id: people.ex.id });
  return { admin, cA: cA.id, cB: cB.id, people };
}

/**
 * In the browser: the secretariat schedules visit 1 of company A, the expert reports it and marks
 * it done, participant A sees the timeline, participant B gets "not found", the secretariat's
 * dispatch status shows it. Returns {admin, cA, cB, people, visitId}: the end state.
 */
export async function dispatchStory(world, sec, ex, a, b) {
  const { admin, cA, cB, people } = await setUpDispatch(world);

  // 1. The secretariat schedules visit 1 on the company's timeline.
  await signIn(world, sec, ADMIN_EMAIL, ADMIN_PASSWORD);
  await sec.page.click(tid('nav-dispatch'));
  await sec.page.click(`${tid('dispatch-company')}[data-company-id="${cA}"] a`);
  await sec.page.waitForSelector(tid('visit-timeline'));
  assert.equal(await sec.page.getAttribute(tid('stage-1'), 'data-status'), 'none');
  assert.match(await sec.page.textContent(tid('stage-1')), /解決すべき問題を決め/, 'the brochure\'s policy for stage 1');
  assert.match(await sec.page.textContent(tid('stage-4')), /専門家の意見・分析結果が反映された計画/, 'stage 4 outcome');
  await sec.page.click(tid('schedule-1'));
  await sec.page.fill(tid('schedule-when'), '2026-08-03T10:00');
  await sec.page.selectOption(tid('schedule-mode'), 'onsite');
  await sec.page.selectOption(tid('schedule-expert'), String(people.ex.id));
  await shot(sec.page, 'visits-schedule');
  await sec.page.click(tid('schedule-submit'));
  await sec.page.waitForSelector(`${tid('stage-1')}[data-status="scheduled"]`);
  assert.match(await sec.page.textContent(`${tid('stage-1')} ${tid('visit-when')}`), /2026\/0?8\/0?3/);

  // 2. The expert writes the report with the server's preview, ticks the checklist, saves a draft.
  await signIn(world, ex, people.ex.email, PASSWORD);
  await ex.page.click(tid('nav-dispatch'));
  await ex.page.click(`${tid('dispatch-company')}[data-company-id="${cA}"] a`);
  await ex.page.click(`${tid('stage-1')} ${tid('visit-edit')}`);
  await ex.page.fill(tid('visit-report-body'), REPORT);
  await ex.page.click(tid('visit-report-body-preview'));
  await ex.page.waitForSelector(`${tid('visit-report-body-preview-pane')} h2`);
  assert.match(await ex.page.textContent(tid('visit-report-body-preview-pane')), /VPN機器/);
  await ex.page.click(tid('visit-report-body-write'));
  await ex.page.check(tid('visit-check-problems_shared'));
  await ex.page.click(tid('visit-save'));
  await ex.page.waitForSelector(`${tid('stage-1')} ${tid('visit-report')} h2`);
  assert.equal(await ex.page.getAttribute(`${tid('stage-1')} ${tid('check-problems_shared')}`, 'data-met'), 'true');
  assert.equal(await ex.page.getAttribute(tid('stage-1'), 'data-status'), 'scheduled', 'a draft keeps it scheduled');

  // 3. ... and marks it done.
  if (!(await ex.page.locator(tid('visit-editor')).count())) await ex.page.click(`${tid('stage-1')} ${tid('visit-edit')}`);
  await ex.page.check(tid('visit-check-vision_aligned'));
  await shot(ex.page, 'visits-report-editor');
  await ex.page.click(tid('visit-done'));
  await ex.page.waitForSelector(`${tid('stage-1')}[data-status="done"]`);

  // 4. The participant sees the timeline: visit 1 done, the report, both outcomes reached.
  await signIn(world, a, people.a.email, PASSWORD);
  await a.page.click(tid('nav-dispatch'));
  await a.page.click(`${tid('dispatch-company')}[data-company-id="${cA}"] a`);
  await a.page.waitForSelector(`${tid('stage-1')}[data-status="done"]`);
  assert.match(await a.page.textContent(`${tid('stage-1')} ${tid('visit-report')}`), /資産台帳を作成します/);
  assert.equal(await a.page.getAttribute(`${tid('stage-1')} ${tid('check-vision_aligned')}`, 'data-met'), 'true');
  assert.equal(await a.page.locator(tid('visit-edit')).count(), 0, 'the participant does not edit');
  assert.equal(await a.page.getAttribute(tid('stage-2'), 'data-status'), 'none');
  await shot(a.page, 'visits-participant-timeline');
  await a.page.click(tid('nav-notifications'));
  await a.page.waitForSelector(tid('notification'));
  const notes = await a.page.textContent(tid('notification-list'));
  assert.match(notes, /専門家派遣（第1回）/);
  assert.doesNotMatch(notes, /資産台帳/, 'a notification never carries the report');

  // 5. The other company's participant: nothing to see.
  await signIn(world, b, people.b.email, PASSWORD);
  await b.page.click(tid('nav-dispatch'));
  await b.page.waitForSelector(tid('dispatch-companies'));
  assert.doesNotMatch(await b.page.textContent('main'), /みらい製作所/);
  await b.expecting([{ status: 404, url: /\/api\/v1\/companies\/\d+\/visits$/ }], async () => {
    await go(world, b.page, `/companies/${cA}/visits`);
    await b.page.waitForSelector(tid('not-found'));
  });

  // 6. The secretariat's dispatch status: visit 1 done, 2 of 8 outcomes, the CSV link.
  await sec.page.click(tid('nav-dispatchreport'));
  const row = `${tid('dispatch-row')}[data-company-id="${cA}"]`;
  await sec.page.waitForSelector(row);
  assert.equal(await sec.page.getAttribute(`${row} ${tid('row-stage-1')}`, 'data-value'), 'done');
  assert.equal((await sec.page.textContent(`${row} ${tid('row-checklist')}`)).replace(/\s+/g, ''), '2/8');
  assert.equal(await sec.page.getAttribute(tid('dispatch-csv'), 'href'), '/api/v1/dispatch/report?format=csv');
  const csv = await sec.context.request.get(world.base + '/api/v1/dispatch/report?format=csv');
  const bytes = await csv.body();
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the CSV starts with a BOM');
  assert.match(bytes.toString('utf8'), /株式会社みらい製作所,/);
  await shot(sec.page, 'visits-dispatch-status');
  const visits = await admin.get(`/companies/${cA}/visits`);
  return { admin, cA, cB, people, visitId: visits.visits[0].id };
}
