// Notifications in the reader's language (docs/FORUM.md): every kind of the server's table
// (server/kinds.c) has a sentence in both dictionaries, and the list renders kind + params in the
// chosen language. Runs in node (no browser): the view module is plain ES modules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const imp = (p) => import(pathToFileURL(path.join(ROOT, p)));

test('every kind of server/kinds.c has a sentence in Japanese and English', async () => {
  const src = fs.readFileSync(path.join(ROOT, 'server/kinds.c'), 'utf8');
  const table = src.slice(src.indexOf('kinds[] = {'), src.indexOf('kind_other ='));
  const kinds = [...table.matchAll(/^\t\{"([a-z_.:]+)", /gm)].map((m) => m[1]);
  assert.ok(kinds.length >= 11, `kinds found: ${kinds}`);
  const ja = (await imp('web/i18n/ja-notify.js')).default;
  const en = (await imp('web/i18n/en-notify.js')).default;
  for (const k of [...kinds, 'other', 'other_thread']) {
    assert.ok(ja['notify.kind.' + k], `ja: notify.kind.${k}`);
    assert.ok(en['notify.kind.' + k], `en: notify.kind.${k}`);
  }
  assert.deepEqual(Object.keys(en).sort(), Object.keys(ja).sort());
});

test('a notification reads in the chosen language, from kind and params', async () => {
  const { describe } = await imp('web/js/views/notifications.js');
  const { setState } = await imp('web/js/store.js');
  const assigned = { id: 1, kind: 'escalation.assigned', thread_id: 7, post_id: null, actor: { id: 1, name: '事務局' },
    params: { title: 'UTMのログ', due_at: '2026-12-04T17:00:00+09:00', hours: 16 } };
  const overdue = { id: 2, kind: 'escalation.overdue', thread_id: 7, actor: null, params: { title: 'T', audience: 'secretariat' } };
  const consent = { id: 3, kind: 'consent_version', thread_id: null, actor: { id: 1, name: '事務局' },
    params: { document_kind: 'nda', document_title: '機密保持の同意書', version: 2 } };
  const unknown = { id: 4, kind: 'materials.published', thread_id: null, actor: null, params: {} };
  setState({ lang: 'ja' });
  assert.equal(describe(assigned), '「UTMのログ」への回答を依頼されました（回答期限: 2026/12/04 17:00 JST）');
  assert.equal(describe(overdue), '「T」のエスカレーションが回答期限を過ぎました');
  assert.match(describe(consent), /^機密保持の同意書（第2版）が公開されました/);
  assert.equal(describe(unknown), 'mamori からのお知らせです');
  setState({ lang: 'en' });
  assert.equal(describe(assigned), 'You have been asked to answer “UTMのログ” (due 04/12/2026, 17:00 JST)');
  assert.equal(describe(overdue), 'The escalation of “T” is overdue');
  assert.equal(describe({ ...overdue, params: { title: 'T', audience: 'expert' } }), '“T”, assigned to you, is overdue');
  assert.match(describe(consent), /^機密保持の同意書 \(version 2\) has been published/);
  assert.equal(describe({ ...unknown, thread_id: 9, params: { title: 'X' } }), 'A notice about “X”');
  setState({ lang: 'ja' });
});
