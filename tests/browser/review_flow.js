// End-to-end in Debian's headless Chromium (driven by tests/test_browser.py):
// a cadre uploads a page photo and a real Mandarin clip from a phone-sized window, recognition
// runs with the real models, the township supervisor reviews both with the keyboard, confirms
// them into the ledger with a triage choice, and finds them in the ledger.
//
// Inputs (environment): BASE_URL, OUT_DIR, PAGE_PHOTO, AUDIO_CLIP, CADRE, SUPERVISOR, PASSWORD,
// RECOGNITION_TIMEOUT_MS. Exit status 0 on success; each failed check throws with its reason.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const common = require('./common');
const { check, env } = common;

const BASE = env('BASE_URL');
const OUT = env('OUT_DIR');
const SHOTS = path.join(OUT, 'screenshots');
const PAGE_PHOTO = env('PAGE_PHOTO');
const AUDIO_CLIP = env('AUDIO_CLIP');
const CADRE = env('CADRE');
const SUPERVISOR = env('SUPERVISOR');
const PASSWORD = env('PASSWORD');
const RECOGNITION_TIMEOUT = Number(env('RECOGNITION_TIMEOUT_MS', String(20 * 60 * 1000)));
fs.mkdirSync(SHOTS, { recursive: true });

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required'];

async function browser(options) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minxin-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    ...options,
  });
  ctx.setDefaultTimeout(60000);
  ctx.setDefaultNavigationTimeout(120000);
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.on('pageerror', (err) => { console.error('PAGE ERROR', err.message); pageErrors.push(err.message); });
  page.on('console', (m) => { if (m.type() === 'error') console.error('console:', m.text()); });
  return { ctx, page, dir };
}
const pageErrors = [];

const shot = (page, name, opts) => common.shot(page, SHOTS, name, opts);

const login = (page, who) => common.login(page, BASE, who, PASSWORD);

async function upload(page, file) {
  await page.setInputFiles('#files-input', file);
  await page.waitForSelector('#picked > div');
  const before = await page.locator('#my-captures [data-capture-id]').count();
  await page.click('#send-btn');
  await page.waitForFunction((n) => document.querySelectorAll('#my-captures [data-capture-id]').length > n, before,
    { timeout: 120000 });
  const msg = await page.textContent('#upload-msg');
  check(msg.includes('已上传'), `uploaded ${path.basename(file)} (${msg.trim()})`);
  return Number(await page.getAttribute('#my-captures [data-capture-id]:first-child', 'data-capture-id'));
}

async function main() {
  // --- the login page and the cadre on a phone -------------------------------------------
  let b = await browser({ viewport: { width: 1280, height: 800 } });
  await b.page.goto(BASE + '/login');
  await shot(b.page, 'login.png');
  await b.ctx.close();

  b = await browser({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  let page = b.page;
  await login(page, CADRE);
  check(page.url().includes('/capture'), 'cadre lands on the capture page');
  check(await page.isVisible('#quota-count'), 'visit quota shown');
  const pagesId = await upload(page, PAGE_PHOTO);
  const audioId = await upload(page, AUDIO_CLIP);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'capture-phone.png', { fullPage: true });

  // Recognition with the real models: wait for both captures to leave "recognizing".
  console.log(`waiting for recognition of #${pagesId} and #${audioId} (real models)...`);
  await page.waitForFunction((ids) => ids.every((id) => {
    const li = document.querySelector(`[data-capture-id="${id}"]`);
    return li && !['received', 'recognizing'].includes(li.dataset.status);
  }), [pagesId, audioId], { timeout: RECOGNITION_TIMEOUT, polling: 2000 });
  for (const id of [pagesId, audioId]) {
    const status = await page.getAttribute(`[data-capture-id="${id}"]`, 'data-status');
    check(status === 'ready_for_review', `#${id} recognized, ready for review (${status})`);
  }
  await shot(page, 'capture-phone-done.png', { fullPage: true });
  await b.ctx.close();

  // --- the township supervisor ---------------------------------------------------------
  b = await browser({ viewport: { width: 1440, height: 900 } });
  page = b.page;
  await login(page, SUPERVISOR);
  check(page.url().includes('/review'), 'supervisor lands on the review queue');
  for (const id of [pagesId, audioId]) {
    check(await page.locator(`#queue a[href$="/review/${id}"]`).count() === 1, `#${id} in the queue`);
  }
  await shot(page, 'review-queue.png');

  // The page photo: line boxes drawn over the image, one per recognized line.
  await page.goto(`${BASE}/review/${pagesId}`);
  await page.waitForFunction(() => {
    const img = document.querySelector('figure.page img');
    return img && img.complete && img.naturalWidth > 0;
  });
  const boxes = await page.locator('polygon.line-box').count();
  const lines = await page.locator('#transcript .piece').count();
  check(boxes > 0 && boxes === lines, `line boxes drawn over the photo (${boxes} boxes, ${lines} lines)`);
  const geometry = await page.evaluate(() => {
    const img = document.querySelector('figure.page img').getBoundingClientRect();
    const r = document.querySelector('polygon.line-box').getBoundingClientRect();
    return { img: [img.left, img.top, img.right, img.bottom], box: [r.left, r.top, r.width, r.height] };
  });
  check(geometry.box[2] > 5 && geometry.box[3] > 3 && geometry.box[0] >= geometry.img[0] - 1 &&
        geometry.box[0] + geometry.box[2] <= geometry.img[2] + 1, `first box lies on the image ${JSON.stringify(geometry)}`);
  await page.locator('polygon.line-box').nth(0).click({ force: true });
  check(await page.locator('#transcript .piece[data-i="0"].current').count() === 1, 'clicking a box highlights its line of text');
  await page.locator('#transcript .piece').nth(lines - 1).click();
  check(await page.locator(`polygon.line-box.current[data-i="${lines - 1}"]`).count() === 1, 'clicking a line highlights its box');

  // Keyboard only from here: ? help, N to the problem field, type, C, 4 (escalate), reason, Enter.
  await page.keyboard.press('Shift+Slash');
  check(await page.locator('#help[open]').count() === 1, '? opens the help overlay');
  await shot(page, 'review-help.png');
  await page.keyboard.press('Escape');
  check(await page.locator('#help[open]').count() === 0, 'Esc closes it');
  // N from the page moves into the form; inside a field Alt+N moves on (plain N is typed).
  await page.keyboard.press('n');
  let reached = await page.evaluate(() => document.activeElement.id === 'f-problem');
  for (let i = 0; i < 12 && !reached; i++) {
    await page.keyboard.press('Alt+n');
    reached = await page.evaluate(() => document.activeElement.id === 'f-problem');
  }
  check(reached, 'N moves through the fields to 反映问题');
  const problemPages = '南荒沟村三组自来水管冻裂，六户停水十天';
  await page.keyboard.press('Control+a');
  await page.keyboard.type(problemPages);
  check((await page.inputValue('#f-problem')) === problemPages, 'problem edited with the keyboard');
  const evidence = await page.locator('#transcript .piece.evidence').count();
  console.log(`evidence lines highlighted for the problem field: ${evidence}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'review-pages.png');
  await page.keyboard.press('Escape');
  await page.keyboard.press('c');
  check(await page.locator('#confirm-dialog[open]').count() === 1, 'C opens the confirm dialog');
  await page.keyboard.press('4');
  check(await page.isChecked('input[name="triage"][value="escalate"]'), '4 chooses 上报上级');
  await page.keyboard.press('Enter');
  await page.keyboard.type('需要县水利局立项改造管网');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  const flash = await page.textContent('main');
  check(flash.includes('进入台账'), 'confirmed, the problem went into the ledger');

  // The voice memo: segments listed with times; a click seeks; P plays and pauses.
  if (!page.url().endsWith(`/review/${audioId}`)) await page.goto(`${BASE}/review/${audioId}`);
  const segs = await page.locator('#transcript.audio .piece[data-t]').count();
  check(segs > 0, `audio segments drawn (${segs})`);
  await page.waitForFunction(() => document.querySelector('#player').readyState >= 1, null, { timeout: 60000 });
  const last = segs - 1;
  // On the segment's time label: a click on a word plays from the word (review_audio.js).
  await page.locator('#transcript .piece').nth(last).click({ position: { x: 6, y: 6 } });
  const seek = await page.evaluate((i) => {
    const p = JSON.parse(document.getElementById('review-data').textContent).pieces[i];
    const player = document.querySelector('#player');
    return { start: Math.min(p.start, player.duration || p.start), now: player.currentTime,
             current: !!document.querySelector(`#transcript .piece.current[data-i="${i}"]`) };
  }, last);
  check(seek.current && Math.abs(seek.now - seek.start) < 1.0, `clicking a segment seeks the audio ${JSON.stringify(seek)}`);
  await page.evaluate(() => {
    const player = document.querySelector('#player');
    player.pause(); player.currentTime = 0;
    if (document.activeElement) document.activeElement.blur();
  });
  await page.waitForFunction(() => document.querySelector('#player').paused);
  await page.keyboard.press('p');
  await page.waitForFunction(() => !document.querySelector('#player').paused);
  check(true, 'P plays');
  await page.keyboard.press('p');
  await page.waitForFunction(() => document.querySelector('#player').paused);
  check(true, 'P pauses');
  await page.evaluate(() => { document.querySelector('#player').currentTime = 0; });
  await page.focus('#f-problem');
  const problemAudio = '商户反映集市交易几乎停滞，摊位费负担重';
  await page.keyboard.press('Control+a');
  await page.keyboard.type(problemAudio);
  await page.keyboard.press('Escape');
  await shot(page, 'review-audio.png');
  await page.keyboard.press('Control+Enter');
  check(await page.locator('#confirm-dialog[open]').count() === 1, 'Ctrl+Enter opens the confirm dialog');
  await page.keyboard.press('2');
  await page.keyboard.press('Enter');
  await page.keyboard.type('已协调市场管理所减免本月摊位费');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  check((await page.textContent('main')).includes('进入台账'), 'voice memo confirmed, solved on the spot');

  // The ledger shows both problems.
  await page.goto(BASE + '/ledger/');
  const ledgerText = await page.textContent('main');
  check(ledgerText.includes(problemPages.slice(0, 8)), 'escalated problem in the ledger');
  await shot(page, 'ledger.png', { fullPage: false });
  const closedUrl = BASE + '/ledger/?status=closed';
  await page.goto(closedUrl);
  if (!(await page.textContent('main')).includes(problemAudio.slice(0, 8))) {
    await page.goto(BASE + '/ledger/?all=1');
  }
  check((await page.textContent('main')).includes(problemAudio.slice(0, 8)), 'solved-now problem in the ledger');
  check(pageErrors.length === 0, `no script errors on the pages (${pageErrors.join('; ')})`);
  await b.ctx.close();
  console.log('ALL CHECKS PASSED');
}

main().catch((err) => { console.error(err && err.stack ? err.stack : err); process.exit(1); });
