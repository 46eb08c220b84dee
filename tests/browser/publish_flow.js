// The publish step (公开审核) in headless Chromium, driven by tests/test_publish_browser.py: the
// township supervisor opens a closed item's publish page, unmasks a place the redactor took for a
// person, masks more by selecting text, approves, and the public page shows exactly that.
//
// Inputs (environment): BASE_URL, OUT_DIR, SUPERVISOR, PASSWORD, ITEM_ID, PUBLIC_PATH.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { check, env } = require('./common');

const BASE = env('BASE_URL');
const SHOTS = path.join(env('OUT_DIR'), 'screenshots');
fs.mkdirSync(SHOTS, { recursive: true });

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minxin-publish-'));
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
    await page.goto(BASE + '/login');
    await page.fill('input[name="login"]', env('SUPERVISOR'));
    await page.fill('input[name="password"]', env('PASSWORD'));
    await Promise.all([page.waitForNavigation(), page.click('main button[type="submit"]')]);
    check(!page.url().includes('/login'), 'supervisor logged in');

    await page.goto(`${BASE}/ledger/item/${env('ITEM_ID')}`);
    await Promise.all([page.waitForNavigation(), page.click('#publish-link')]);
    check(page.url().endsWith('/publish'), 'the item page links to its publish step');
    const pub = () => page.textContent('#public-problem');
    let shown = await pub();
    check(!shown.includes('周玉梅') && !shown.includes('13912345678'), 'the public version hides the name and the phone');
    check(await page.locator('#original-problem mark', { hasText: '周玉梅' }).count() === 1, 'the name is highlighted in the original');
    await page.screenshot({ path: path.join(SHOTS, 'publish-before.png'), fullPage: true });

    // unmask: the extractor flagged the place 石柱子 as a person
    const place = page.locator('#original-problem mark', { hasText: '石柱子' });
    check(await place.count() === 1, 'the place 石柱子 is (wrongly) masked');
    await place.click();
    shown = await pub();
    check(shown.startsWith('石柱子'), 'after unmasking, the public version shows the place');

    // mask more: select 沟口 in the original and mask it
    const selected = await page.evaluate(() => {
      const cell = document.getElementById('original-problem');
      const walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      let n;
      while ((n = walk.nextNode())) {
        const i = n.data.indexOf('沟口');
        if (i >= 0) {
          const r = document.createRange();
          r.setStart(n, i); r.setEnd(n, i + 2);
          const s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
          return true;
        }
      }
      return false;
    });
    check(selected, 'selected 沟口 in the original');
    await page.click('#mask-selection');
    shown = await pub();
    check(shown.startsWith('石柱子＊＊的桥'), 'the selection is masked in the public version: ' + shown);
    check(await page.locator('#original-problem mark', { hasText: '沟口' }).count() === 1, 'and highlighted in the original');
    await page.screenshot({ path: path.join(SHOTS, 'publish-edited.png'), fullPage: true });

    await Promise.all([page.waitForNavigation(), page.click('#approve')]);
    check((await page.textContent('#publish-state')).includes('已审核通过'), 'approved');
    check((await pub()).startsWith('石柱子＊＊的桥'), 'the approved version is what was edited');

    await page.goto(BASE + env('PUBLIC_PATH'));
    const body = await page.textContent('main');
    check(body.includes('石柱子＊＊的桥冲毁了'), 'the public page shows the approved text');
    check(!body.includes('周玉梅') && !body.includes('13912345678') && !body.includes('陈国强'), 'and nothing personal');
    check(body.includes('南荒沟村已联系施工队'), "the cadre's name is replaced by the unit");
    await page.screenshot({ path: path.join(SHOTS, 'publish-public.png'), fullPage: true });
    check(errors.length === 0, 'no page errors: ' + errors.join('; '));
    console.log('ALL CHECKS PASSED');
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
})().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
