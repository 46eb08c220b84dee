// The review screen's voice-memo words in Debian's headless Chromium (driven by
// tests/test_browser_review_audio.py): a real Mandarin clip recognized by the real Whisper,
// its misheard word flagged; a click on it plays from just before it; F jumps to the next
// flagged word; the supervisor corrects the word and re-extracts the draft, keeping a field
// typed by hand.
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
const LEAD = 0.3;

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minxin-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, locale: 'zh-CN',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
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
    await page.waitForFunction(() => document.querySelector('#player').readyState >= 1);

    // --- flagged words are marked; a click plays from just before the word
    const flagged = await page.$$eval('#transcript .word.flagged', (els) => els.map((e) => ({ text: e.textContent, t: Number(e.dataset.t) })));
    check(flagged.length > 0, `flagged words marked: ${flagged.map((f) => f.text).join(' ')}`);
    const bad = flagged.find((f) => f.text.includes('制'));
    check(!!bad, `the misheard word (停滞 heard as 停制) is flagged: ${bad && bad.text} at ${bad && bad.t}s`);
    const total = await page.$$eval('#transcript .word', (els) => els.length);
    await page.click('#transcript .word.flagged >> text=' + bad.text);
    await page.waitForFunction(() => !document.querySelector('#player').paused || document.querySelector('#player').currentTime > 0);
    const pos = await page.evaluate(() => document.querySelector('#player').currentTime);
    check(pos >= Math.max(0, bad.t - LEAD) - 0.05 && pos <= bad.t + 0.8,
      `click on ${bad.text} plays from just before it: player at ${pos.toFixed(2)}s, word at ${bad.t}s`);
    check(await page.$eval('#transcript .word.current-word', (e) => e.textContent) === bad.text, 'the clicked word is the current one');
    await page.screenshot({ path: path.join(SHOTS, 'review-audio-words.png') });

    // --- F: the next flagged word (wraps round), from just before it
    await page.evaluate(() => document.querySelector('#player').pause());
    await page.keyboard.press('f');
    const cur = await page.$eval('#transcript .word.current-word', (e) => ({ flagged: e.classList.contains('flagged'), t: Number(e.dataset.t), text: e.textContent }));
    const now = await page.evaluate(() => document.querySelector('#player').currentTime);
    check(cur.flagged && now <= cur.t + 0.8 && now >= Math.max(0, cur.t - LEAD) - 0.05,
      `F jumps to the next flagged word ${cur.text} (${total} words, ${flagged.length} flagged), player at ${now.toFixed(2)}s`);
    await page.keyboard.press('?');
    const help = await page.textContent('#help');
    check(help.includes('没把握的词'), 'the help overlay lists F');
    await page.keyboard.press('Escape');

    // --- focusing a field plays the stretch its evidence came from
    await page.evaluate(() => { const p = document.querySelector('#player'); p.pause(); p.currentTime = 0; });
    await page.fill('#f-interviewee', '王秀兰');  // typed, not saved: re-extract must keep it
    await page.focus('#f-problem');
    await page.waitForFunction(() => !document.querySelector('#player').paused);
    check(true, 'focusing 反映问题 plays its audio');

    // --- correct the misheard word, then re-extract
    await page.evaluate(() => document.querySelector('#player').pause());
    await page.dblclick('#transcript .word.flagged >> text=' + bad.text);
    await page.waitForSelector('#word-dialog[open]');
    await page.fill('#word-text', bad.text.replace('制', '滞'));
    await page.click('#word-save');
    await page.waitForFunction(() => document.body.dataset.transcriptCorrected === '1');
    const text = await page.textContent('#transcript');
    check(text.includes('停滞') && !text.includes('停制'), `transcript corrected: ${text.trim()}`);
    const corrected = await page.$eval('#transcript .word.corrected', (e) => [e.textContent, e.dataset.from]);
    check(corrected[1] === bad.text, `the corrected word shows what it was: ${corrected.join(' <- ')}`);
    await page.screenshot({ path: path.join(SHOTS, 'review-audio-corrected.png') });
    await Promise.all([page.waitForNavigation(), page.click('#btn-reextract')]);
    const flash = await page.textContent('body');
    check(flash.includes('重新提取'), 're-extract reports what it did');
    const problem = await page.inputValue('#f-problem');
    check(problem.includes('停滞'), `反映问题 re-extracted from the corrected text: ${problem}`);
    check(await page.inputValue('#f-interviewee') === '王秀兰', '受访对象 typed by the supervisor is kept');
    check(errors.length === 0, 'no page errors');
    console.log('ALL CHECKS PASSED');
  } finally {
    await ctx.close();
  }
})().catch((err) => { console.error(err); process.exit(1); });
