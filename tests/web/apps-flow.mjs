// The application flow in the browser (docs/APPLICATIONS.md), as reusable steps: apply on the public
// page, contact, draw, admit, accept the invitation. apps.story.test.mjs tells the story with them;
// other stories can start from an admitted participant with admitThroughApplication().
//
// Every step works on a playwright page of a real server at `base` (https://HOST:PORT).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

export const tid = (id) => `[data-testid="${id}"]`;

/** Watches a page: page errors, console errors and answers of 400 or more (any URL) are problems
 * unless expected. expect(status, pathPart) allows one such answer. The app's own "who is signed
 * in?" (GET /api/v1/me → 401 while signed out) is expected always. Chromium's console line for a
 * failed load ("Failed to load resource: … status of N") is not counted twice: the answer itself is
 * judged by the response listener. Returns { expect }. */
export function watch(page, label, problems) {
  const allowed = [];
  page.on('pageerror', (e) => problems.push(`${label}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error' && !/Content Security Policy|Refused to/i.test(m.text())) return;
    if (/^Failed to load resource: the server responded with a status of \d+/.test(m.text())) return;
    problems.push(`${label}: console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() < 400) return;
    const url = new URL(r.url());
    if (r.status() === 401 && url.pathname === '/api/v1/me') return;
    const i = allowed.findIndex((a) => a.status === r.status() && url.pathname.includes(a.path));
    if (i >= 0) { allowed.splice(i, 1); return; }
    problems.push(`${label}: unexpected ${r.status()} from ${r.request().method()} ${r.url()}`);
  });
  return { expect: (status, path) => allowed.push({ status, path }) };
}

async function open(page, base, hash) {
  const url = base + '/#' + hash;
  if (page.url() === url) await page.reload();
  else await page.goto(url);
}

/** Fills the public form and submits it; returns the receipt { id, due } shown to the applicant. */
export async function applyViaPage(page, base, f) {
  if (!page.url().includes('#/apply')) await open(page, base, '/apply');
  await page.waitForSelector(tid('apply-form'));
  await page.fill(tid('apply-company-name'), f.company_name);
  await page.selectOption(tid('apply-industry'), f.industry || 'E');
  await page.selectOption(tid('apply-sme-class'), f.sme_class || 'manufacturing_other');
  await page.fill(tid('apply-capital'), String(f.capital_yen ?? 10000000));
  await page.fill(tid('apply-employees'), String(f.employees ?? 20));
  for (const k of ['tokyo-office', 'has-security-devices', 'has-security-policy']) await page.setChecked(tid('apply-' + k), f[k] !== false);
  await page.fill(tid('apply-contact-name'), f.contact_name);
  await page.fill(tid('apply-contact-email'), f.contact_email);
  await page.fill(tid('apply-contact-phone'), f.contact_phone || '03-1234-5678');
  await page.click(tid('apply-submit'));
  if (f.expectError) {
    const err = page.locator(tid('apply-error'));
    await err.waitFor();
    assert.equal(await err.getAttribute('data-code'), f.expectError);
    return null;
  }
  await page.waitForSelector(tid('apply-done'));
  return { id: Number(await page.textContent(tid('apply-number'))), due: await page.textContent(tid('apply-due')) };
}

export async function signInViaPage(page, base, email, password) {
  await open(page, base, '/');
  await page.fill(tid('login-email'), email);
  await page.fill(tid('login-password'), password);
  await page.click(tid('login-submit'));
  await page.waitForSelector(`${tid('current-user')}, .consent`);
}

function card(page, appId) {
  return page.locator(`${tid('app')}[data-app-id="${appId}"]`);
}

/** The secretariat marks application appId contacted with a note. */
export async function contactViaPage(page, base, appId, note) {
  await open(page, base, '/applications?status=received');
  const c = card(page, appId);
  await c.locator(tid('app-contact')).click();
  await c.locator(tid('app-contact-text')).fill(note);
  await c.locator(tid('app-contact-submit')).click();
  await page.waitForSelector(`${tid('app')}[data-app-id="${appId}"]`, { state: 'detached' }); // no longer `received`
}

/** Draws with the page's suggested seed; returns { seed, tracks: {track: [ids in hash order]} }. */
export async function drawViaPage(page, base) {
  await open(page, base, '/lottery');
  const seed = await page.inputValue(tid('lottery-seed'));
  page.once('dialog', (d) => d.accept());
  await page.click(tid('lottery-draw'));
  await page.waitForSelector(tid('lottery-result'));
  assert.equal(await page.textContent(tid('lottery-seed-used')), seed);
  const tracks = {};
  for (const track of ['monozukuri', 'service']) {
    const cmd = page.locator(tid('lottery-verify-' + track));
    if (!(await cmd.count())) continue;
    // The shown one-liner, run as is, gives the order the page shows.
    const out = spawnSync('bash', ['-c', await cmd.textContent()], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    tracks[track] = out.stdout.trim().split('\n').map((l) => Number(l.split(' ')[1]));
    const shown = await page.locator(`${tid('lottery-result-' + track)} tbody tr td:nth-child(2)`).allTextContents();
    assert.deepEqual(shown.map(Number), tracks[track], 'the page order is the sha256sum order');
  }
  return { seed, tracks };
}

/** The secretariat admits a selected application; returns the invitation link the page shows. */
export async function admitViaPage(page, base, appId) {
  await open(page, base, '/applications?status=selected');
  page.once('dialog', (d) => d.accept());
  await card(page, appId).locator(tid('app-admit')).click();
  const link = await page.locator(tid('admitted-invite-link')).textContent();
  assert.match(link, /#\/invite\/[A-Za-z0-9_-]+$/);
  return link;
}

/** The admitted representative sets a password with the invitation link and signs in. */
export async function acceptInviteViaPage(page, link, email, password) {
  await page.goto(link);
  await page.fill(tid('invite-password'), password);
  await page.fill(tid('invite-password2'), password);
  await page.click(tid('invite-submit'));
  await page.waitForSelector(tid('login-notice'));
  if (!(await page.inputValue(tid('login-email')))) await page.fill(tid('login-email'), email);
  await page.fill(tid('login-password'), password);
  await page.click(tid('login-submit'));
  await page.waitForSelector(`${tid('current-user')}, .consent`);
}

/**
 * For other stories: from nothing to a signed-in representative of a new company, through the
 * public form, the call, the lottery and admission. sec: the secretariat's page, signed in;
 * applicant: a page of its own (own browser context). The track must have a free place.
 * Returns { appId, email, password, company_name, inviteLink }.
 */
export async function admitThroughApplication({ sec, applicant, base, company_name, contact_name, contact_email,
  industry = 'E', sme_class = 'manufacturing_other', password = 'daihyou-no-himitsu-2027' }) {
  const receipt = await applyViaPage(applicant, base, { company_name, industry, sme_class, contact_name, contact_email });
  await contactViaPage(sec, base, receipt.id, '電話で前提条件（都内事業所・UTM・基本方針）を確認');
  await drawViaPage(sec, base);
  const inviteLink = await admitViaPage(sec, base, receipt.id);
  await acceptInviteViaPage(applicant, inviteLink, contact_email, password);
  return { appId: receipt.id, email: contact_email, password, company_name, inviteLink };
}
