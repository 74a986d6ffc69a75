// The application flow in the browser (docs/APPLICATIONS.md), as reusable steps on the shared story
// library (lib.mjs): apply on the public page, contact, draw, admit, accept the invitation.
// apps.story.test.mjs tells the story with them; other stories start from an admitted participant
// with admitThroughApplication().
//
// Each step takes the world (lib.startServer) and a person (lib.person); steps done signed out allow
// the app's own 401 from GET /me, and a step that expects a refusal allows exactly that answer.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tid, go, SIGNED_OUT } from './lib.mjs';

/** Fills the public form and submits it; returns the receipt { id, due } shown to the applicant, or
 * null when f.expectError names the refusal the page must show (its data-code). */
export async function applyViaPage(world, who, f) {
  const page = who.page;
  const refusal = f.expectError ? [{ status: f.expectError === 'applications_closed' ? 409 : 422, url: /\/api\/v1\/applications$/ }] : [];
  let receipt = null;
  await who.expecting(SIGNED_OUT.concat(refusal), async () => {
    if (!page.url().includes('#/apply')) await go(world, page, '/apply');
    await page.waitForSelector(tid('apply-form'));
    await page.fill(tid('apply-company-name'), f.company_name);
    await page.selectOption(tid('apply-industry'), f.industry || 'E');
    await page.selectOption(tid('apply-sme-class'), f.sme_class || 'manufacturing_other');
    await page.fill(tid('apply-capital'), String(f.capital_yen ?? 10000000));
    await page.fill(tid('apply-employees'), String(f.employees ?? 20));
    for (const k of ['tokyo-office', 'has-security-devices', 'has-security-policy']) {
      await page.setChecked(tid('apply-' + k), f[k.replace(/-/g, '_')] !== false);
    }
    await page.fill(tid('apply-contact-name'), f.contact_name);
    await page.fill(tid('apply-contact-email'), f.contact_email);
    await page.fill(tid('apply-contact-phone'), f.contact_phone || '03-1234-5678');
    await page.click(tid('apply-submit'));
    if (f.expectError) {
      const err = page.locator(tid('apply-error'));
      await err.waitFor();
      assert.equal(await err.getAttribute('data-code'), f.expectError);
      return;
    }
    await page.waitForSelector(tid('apply-done'));
    receipt = { id: Number(await page.textContent(tid('apply-number'))), due: await page.textContent(tid('apply-due')) };
  });
  return receipt;
}

function card(page, appId) {
  return page.locator(`${tid('app')}[data-app-id="${appId}"]`);
}

/** The secretariat (signed in) marks application appId contacted with a note. */
export async function contactViaPage(world, sec, appId, note) {
  await go(world, sec.page, '/applications?status=received');
  const c = card(sec.page, appId);
  await c.locator(tid('app-contact')).click();
  await c.locator(tid('app-contact-text')).fill(note);
  await c.locator(tid('app-contact-submit')).click();
  await c.waitFor({ state: 'detached' }); // no longer `received`
}

/** Draws with the page's suggested seed; returns { seed, tracks: {track: [ids in draw order]} }, the
 * order checked against the page's own sha256sum one-liner, run here in bash. */
export async function drawViaPage(world, sec) {
  const page = sec.page;
  await go(world, page, '/lottery');
  const seed = await page.inputValue(tid('lottery-seed'));
  page.once('dialog', (d) => d.accept());
  await page.click(tid('lottery-draw'));
  await page.waitForSelector(tid('lottery-result'));
  assert.equal(await page.textContent(tid('lottery-seed-used')), seed);
  const tracks = {};
  for (const track of ['monozukuri', 'service']) {
    const cmd = page.locator(tid('lottery-verify-' + track));
    if (!(await cmd.count())) continue;
    const out = spawnSync('bash', ['-c', await cmd.textContent()], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    tracks[track] = out.stdout.trim().split('\n').map((l) => Number(l.split(' ')[1]));
    const shown = await page.locator(`${tid('lottery-result-' + track)} tbody tr td:nth-child(2)`).allTextContents();
    assert.deepEqual(shown.map(Number), tracks[track], 'the page order is the sha256sum order');
  }
  return { seed, tracks };
}

/** The secretariat admits a selected application; returns the invitation link the page shows. */
export async function admitViaPage(world, sec, appId) {
  await go(world, sec.page, '/applications?status=selected');
  sec.page.once('dialog', (d) => d.accept());
  await card(sec.page, appId).locator(tid('app-admit')).click();
  const link = await sec.page.locator(tid('admitted-invite-link')).textContent();
  assert.match(link, /#\/invite\/[A-Za-z0-9_-]+$/);
  return link;
}

/** The admitted representative sets a password with the invitation link and signs in. */
export async function acceptInviteViaPage(world, who, link, email, password) {
  const page = who.page;
  await who.expecting(SIGNED_OUT, async () => {
    await page.goto(link);
    await page.fill(tid('invite-password'), password);
    await page.fill(tid('invite-password2'), password);
    await page.click(tid('invite-submit'));
    await page.waitForSelector(tid('login-notice'));
    if (!(await page.inputValue(tid('login-email')))) await page.fill(tid('login-email'), email);
    await page.fill(tid('login-password'), password);
    await page.click(tid('login-submit'));
    await page.waitForSelector(`${tid('current-user')}, .consent`);
  });
}

/**
 * For other stories: from nothing to a signed-in representative of a new company, through the
 * public form, the call, the lottery and admission. sec: the secretariat (signed in); applicant: a
 * person of its own (own browser context, signed out). The track must have a free place, and no
 * other contacted application may be waiting for a draw (it would be drawn too).
 * Returns { appId, email, password, company_name, inviteLink }.
 */
export async function admitThroughApplication(world, { sec, applicant, company_name, contact_name, contact_email,
  industry = 'E', sme_class = 'manufacturing_other', password = 'daihyou-no-himitsu-2027' }) {
  const receipt = await applyViaPage(world, applicant, { company_name, industry, sme_class, contact_name, contact_email });
  await contactViaPage(world, sec, receipt.id, '電話で前提条件（都内事業所・UTM・基本方針）を確認');
  await drawViaPage(world, sec);
  const inviteLink = await admitViaPage(world, sec, receipt.id);
  await acceptInviteViaPage(world, applicant, inviteLink, contact_email, password);
  return { appId: receipt.id, email: contact_email, password, company_name, inviteLink };
}
