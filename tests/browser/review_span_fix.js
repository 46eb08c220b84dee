// Span fix on the review screen (issue 25) in Debian's headless Chromium, driven by
// tests/test_browser_span_fix.py on a seeded memo: select a phrase of the transcript, press the
// problem's key (3): the field and its evidence highlight change; Shift+4 appends to the plan;
// confirm.  Inputs (environment): BASE_URL, OUT_DIR, SUPERVISOR, PASSWORD, MEMO, PHRASE, MORE.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const common = require('./common');
const { check, env } = common;

const BASE = env('BASE_URL');
const SHOTS = path.join(env('OUT_DIR'), 'screenshots');
fs.mkdirSync(SHOTS, { recursive: true });

// select `phrase` inside the transcript as a person would with the mouse (across segments too)
async function select(page, phrase) {
  return page.evaluate((phrase) => {
    const root = document.getElementById('transcript');
    const at = root.textContent.indexOf(phrase);
    if (at < 0) return false;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const r = document.createRange();
    let pos = 0;
    let node;
    let started = false;
    while ((node = walker.nextNode())) {
      const len = node.data.length;
      if (!started && at < pos + len) { r.setStart(node, at - pos); started = true; }
      if (started && at + phrase.length <= pos + len) { r.setEnd(node, at + phrase.length - pos); break; }
      pos += len;
    }
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(r);
    return true;
  }, phrase);
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minxin-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1440, height: 900 },
  });
  ctx.setDefaultTimeout(30000);
  const page = ctx.pages()[0] || (await ctx.newPage());
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await common.login(page, BASE, env('SUPERVISOR'), env('PASSWORD'));
  await page.goto(`${BASE}/review/${env('MEMO')}`);
  await page.waitForSelector('body.js-ready');
  const phrase = env('PHRASE');
  check((await page.inputValue('#f-problem')) !== phrase, 'the draft\'s problem is not the phrase yet');
  check((await page.textContent('label[for="f-problem"] kbd.span-key')).trim() === '3', 'the problem field shows its key');

  check(await select(page, phrase), 'the phrase is selected in the transcript');
  await page.keyboard.press('3');
  check((await page.inputValue('#f-problem')) === phrase, 'pressing 3 sets the problem to the selection');
  check(await page.locator('.field.edited[data-field="problem"]').count() === 1, 'the field is marked edited');
  const lit = await page.$$eval('#transcript .piece.evidence', (els) => els.map((e) => e.textContent).join(''));
  check(lit.includes(phrase), `the evidence highlight follows the selection (${lit})`);
  check((await page.textContent('#evidence-label')).includes('反映问题'), 'the evidence label names the problem');
  const spans = JSON.parse(await page.inputValue('#span-evidence'));
  const text = await page.textContent('#transcript');
  check(spans.problem && Array.from(text).slice(spans.problem[0], spans.problem[1]).join('') === phrase,
    `the span sent with the form is the phrase's (${JSON.stringify(spans)})`);

  const more = env('MORE');
  const plan = await page.inputValue('#f-solution');
  check(await select(page, more), 'a second phrase is selected');
  await page.keyboard.press('Shift+Digit4');
  check((await page.inputValue('#f-solution')) === plan + '，' + more, 'Shift+4 appends the selection to the plan');

  // typing a digit in a field stays typing
  await page.focus('#f-interviewee');
  await page.keyboard.press('End');
  await page.keyboard.type('3');
  check((await page.inputValue('#f-interviewee')).endsWith('3'), 'a digit typed in a field is typed');
  await page.fill('#f-interviewee', '李德富');
  await common.shot(page, SHOTS, 'review-span-fix.png');

  await page.locator('#transcript').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press('c');
  check(await page.locator('#confirm-dialog[open]').count() === 1, 'C opens the confirm dialog');
  await page.check('input[name="triage"][value="ledger"]');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Control+Enter')]);
  check((await page.textContent('main')).includes('已确认'), 'confirmed');
  check(errors.length === 0, `no page errors (${errors.join('; ')})`);
  await ctx.close();
  console.log('ALL CHECKS PASSED');
}

main().catch((err) => { console.error(err); process.exit(1); });
