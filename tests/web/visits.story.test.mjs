// The expert-dispatch story in the browser (docs/DISPATCH.md), on the shared lib.mjs: a real mamori
// server and Debian's chromium. The program is set up through the API (a group, company
// 株式会社みらい製作所 with its participant, an assigned expert, another company with its own
// participant); then, in the browser, the secretariat schedules visit 1 → the expert writes the
// report (server preview) and ticks the checklist → marks it done → the company's participant sees
// the timeline with the report, and the other company's participant gets "not found" for it → the
// secretariat's dispatch status shows the company with visit 1 done. Screenshots go to
// tests/web/screenshots/visits-*.png.
//
// The test fails on any page error, console error, HTTP answer of 4xx/5xx that the step does not
// expect, and any API answer the pages got that docs/openapi.json does not describe. With KEEP_DATA=1
// the end state (company, people, a done visit 1) is kept for the next story (the case collection).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { SHOTS, BIN, haveServer, startServer, person } from './lib.mjs';
import { dispatchStory } from './dispatch.mjs';

let world = null;
before(async () => { if (haveServer) world = await startServer(); });
after(async () => { if (world) await world.stop(); });

test('expert dispatch: schedule, report, done, the participant sees it, the other company does not',
  { skip: haveServer ? false : `no server binary at ${BIN}`, timeout: 300000 }, async () => {
    const sec = await person(world, 'secretariat');
    const ex = await person(world, 'expert');
    const a = await person(world, 'participant A');
    const b = await person(world, 'participant B');
    try {
      await dispatchStory(world, sec, ex, a, b);
    } catch (err) {
      for (const x of [sec, ex, a, b]) {
        await x.page.screenshot({ path: path.join(SHOTS, 'FAILED-visits-' + x.label.replace(/\W+/g, '-') + '.png'), fullPage: true }).catch(() => {});
      }
      throw err;
    }
    for (const x of [sec, ex, a, b]) await x.context.close();
    assert.deepEqual([sec, ex, a, b].flatMap((x) => x.problems), [], 'no page errors, console errors or unexpected HTTP errors');
    const { checked, mismatches } = await world.checkContract();
    assert.ok(checked > 20, `the pages' API answers were checked (${checked})`);
    assert.deepEqual(mismatches, [], 'every API answer the pages got is as docs/openapi.json says');
  });
