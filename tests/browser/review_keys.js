// Bug 1 of issue 29 in headless Chromium: N moves to the next field, and a second N moves on
// again instead of typing "n" into the field N put the focus in; saving keeps every field as it
// was. Typing after a click still types. Driven by tests/test_browser_review_keys.py.
//
// Inputs (environment): BASE_URL, SUPERVISOR, PASSWORD, CAPTURE.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { check, env, login } = require('./common');

const BASE = env('BASE_URL');

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minxin-keys-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    locale: 'zh-CN', viewport: { width: 1300, height: 900 },
  });
  ctx.setDefaultTimeout(20000);
  const page = ctx.pages()[0] || (await ctx.newPage());
  await login(page, BASE, env('SUPERVISOR'), env('PASSWORD'));
  await page.goto(`${BASE}/review/${env('CAPTURE')}`);
  const values = () => page.$$eval('[data-field]', (els) => els.filter((el) => /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))
    .map((el) => el.value));
  const before = await values();
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  const focused = () => page.evaluate(() => document.activeElement && document.activeElement.dataset.field);
  await page.keyboard.press('n');
  const first = await focused();
  check(!!first, `N moves the focus to a field (${first})`);
  await page.keyboard.press('n');
  const second = await focused();
  check(second && second !== first, `a second N moves on to another field (${second}), it does not type`);
  await page.keyboard.press('n');
  check(JSON.stringify(await values()) === JSON.stringify(before), 'no field took an "n"');
  // A click in the field makes it the reviewer's: letters type again.
  await page.click('#f-reflections');
  await page.keyboard.press('End');
  await page.keyboard.type('n');
  check((await page.inputValue('#f-reflections')).endsWith('n'), 'after a click, typing types');
  await ctx.close();
  console.log('ALL CHECKS PASSED');
})().catch((e) => { console.error(e); process.exit(1); });
