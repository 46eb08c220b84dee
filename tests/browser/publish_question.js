// The publish step with an open question (issue 26), driven by tests/test_publish_browser.py: the
// redactor asks whether a word said as a person (建国说…) is a name; approving first is refused,
// the supervisor answers with the y key, approves, and the public page shows the masked text.
//
// Inputs (environment): BASE_URL, OUT_DIR, SUPERVISOR, PASSWORD, ITEM_ID, PUBLIC_PATH.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { check, env, login, shot } = require('./common');

const BASE = env('BASE_URL');
const SHOTS = path.join(env('OUT_DIR'), 'screenshots');
fs.mkdirSync(SHOTS, { recursive: true });

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minxin-question-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    locale: 'zh-CN', viewport: { width: 1200, height: 800 },
  });
  ctx.setDefaultTimeout(30000);
  const page = ctx.pages()[0] || (await ctx.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await login(page, BASE, env('SUPERVISOR'), env('PASSWORD'));
    const url = `${BASE}/ledger/item/${env('ITEM_ID')}/publish`;
    await page.goto(url);
    check(await page.locator('#question-box').isVisible(), 'the publish step shows a question');
    check((await page.textContent('#question-text')).includes('建国'), 'it asks about 建国');
    check(await page.locator('#original-problem mark.pii-ask.pii-current', { hasText: '建国' }).count() === 1,
      'the asked word is highlighted in the original');
    check(!(await page.textContent('#public-problem')).includes('13912345678'), 'the phone is masked without a question');
    await shot(page, SHOTS, 'question-open.png', { fullPage: true });

    // approving with the question open is refused by the server
    await Promise.all([page.waitForNavigation(), page.click('#approve')]);
    check((await page.textContent('main')).includes('个问题未回答'), 'approval refused while the question is open');
    check((await page.textContent('#publish-state')).includes('尚未审核'), 'nothing was approved');

    // answer by key: y masks, and the next question (none left) comes up
    await page.keyboard.press('y');
    check((await page.textContent('#question-text')).includes('全部问题已回答'), 'the question is answered');
    check((await page.textContent('#public-problem')).startsWith('某某说路灯坏了'), 'the answer masks the word: ' +
      (await page.textContent('#public-problem')));
    await shot(page, SHOTS, 'question-answered.png', { fullPage: true });

    await Promise.all([page.waitForNavigation(), page.click('#approve')]);
    check((await page.textContent('#publish-state')).includes('已审核通过'), 'approved after the answer');

    await page.goto(BASE + env('PUBLIC_PATH'));
    const body = await page.textContent('main');
    check(body.includes('某某说路灯坏了三天了'), 'the public page shows the approved text');
    check(!body.includes('建国') && !body.includes('13912345678'), 'and nothing personal');
    await shot(page, SHOTS, 'question-public.png', { fullPage: true });
    check(errors.length === 0, 'no page errors: ' + errors.join('; '));
    console.log('ALL CHECKS PASSED');
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
})().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
