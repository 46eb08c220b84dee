// The review screen's unsure characters on a photographed page in Debian's headless Chromium
// (driven by tests/test_browser_review_photo.py): the real PP-OCRv6 misreads the half rubbed
// out 界 of 边界; that character is flagged in the text and boxed on the photo; F reaches it
// (its box is then the current one); E corrects it; re-extract fills 反映问题 from the
// corrected text.
//
// Inputs (environment): BASE_URL, OUT_DIR, CAPTURE_ID, SUPERVISOR, PASSWORD.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { check } = require('./common');

const BASE = process.env.BASE_URL;
const OUT = process.env.OUT_DIR;
const ID = process.env.CAPTURE_ID;
const SHOTS = path.join(OUT, 'screenshots');
fs.mkdirSync(SHOTS, { recursive: true });

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minxin-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, locale: 'zh-CN',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    viewport: { width: 1400, height: 900 },
  });
  ctx.setDefaultTimeout(60000);
  const page = ctx.pages()[0] || (await ctx.newPage());
  const errors = [];
  page.on('pageerror', (err) => { console.error('PAGE ERROR', err.message); errors.push(err.message); });
  try {
    await page.goto(BASE + '/login');
    await page.fill('input[name="login"]', process.env.SUPERVISOR);
    await page.fill('input[name="password"]', process.env.PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('main button[type="submit"]')]);
    await page.goto(`${BASE}/review/${ID}`);

    // --- the misread character: the one after 边 where the page says 边界
    const text = await page.textContent('#transcript');
    check(text.includes('边') && !text.includes('边界'), `边界 is misread: ${text.trim().slice(0, 120)}`);
    const bad = await page.evaluate(() => {
      const words = Array.from(document.querySelectorAll('#transcript .word'));
      const k = words.findIndex((w, i) => i > 0 && words[i - 1].textContent === '边' && w.textContent !== '界'
        && w.dataset.p === words[i - 1].dataset.p);
      if (k < 0) return null;
      const w = words[k];
      return { text: w.textContent, p: w.dataset.p, cs: w.dataset.cs, flagged: w.classList.contains('flagged') };
    });
    check(!!bad && bad.flagged, `the misread character (${bad && bad.text} for 界) is flagged in the text`);
    const box = `polygon.char-flag[data-p="${bad.p}"][data-cs="${bad.cs}"]`;
    check(await page.$(box) !== null, 'and boxed on the photo');
    const flaggedCount = await page.$$eval('#transcript .word.flagged', (els) => els.length);
    const total = await page.$$eval('#transcript .word', (els) => els.length);
    check(flaggedCount <= 0.2 * total, `${flaggedCount} of ${total} characters flagged (at most 20%)`);

    // --- F steps through the flags until it reaches it; its box becomes the current one
    let reached = false;
    for (let i = 0; i < flaggedCount && !reached; i += 1) {
      await page.keyboard.press('f');
      reached = await page.evaluate(({ p, cs }) => {
        const cur = document.querySelector('#transcript .word.current-word');
        return !!cur && cur.dataset.p === p && cur.dataset.cs === cs;
      }, bad);
    }
    check(reached, `F reaches the misread character (${flaggedCount} flagged)`);
    check(await page.$eval(box, (b) => b.classList.contains('current')), 'its box on the photo is the current one');
    await page.keyboard.press('Shift+F');
    await page.keyboard.press('f');
    check(await page.$eval(box, (b) => b.classList.contains('current')), 'Shift+F then F come back to it');
    await page.screenshot({ path: path.join(SHOTS, 'review-photo-flag.png') });

    // --- correct it (E on the current character), then re-extract
    const before = await page.inputValue('#f-problem');
    await page.keyboard.press('e');
    await page.waitForSelector('#word-dialog[open]');
    await page.fill('#word-text', '界');
    await page.click('#word-save');
    await page.waitForFunction(() => document.body.dataset.transcriptCorrected === '1');
    const fixed = await page.textContent('#transcript');
    check(fixed.includes('边界'), 'the transcript reads 边界 after the correction');
    check(await page.$eval(box, (b) => b.classList.contains('fixed')), 'the box on the photo is marked corrected');
    await page.screenshot({ path: path.join(SHOTS, 'review-photo-corrected.png') });
    await Promise.all([page.waitForNavigation(), page.click('#btn-reextract')]);
    const problem = await page.inputValue('#f-problem');
    check(problem.includes('边界') && !before.includes('边界'), `反映问题 re-extracted: ${before} -> ${problem}`);
    check(errors.length === 0, 'no page errors');
    console.log('ALL CHECKS PASSED');
  } finally {
    await ctx.close();
  }
})().catch((err) => { console.error(err); process.exit(1); });
