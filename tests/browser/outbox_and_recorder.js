// The capture page's two phone paths in Debian's headless Chromium (driven by tests/test_browser.py):
// 1. a voice memo recorded in the browser (MediaRecorder on Chromium's fake microphone) is uploaded
//    as the container the browser made and stored as audio;
// 2. with the signal gone, an upload is kept in IndexedDB and shown as waiting, survives the page
//    (and the login session) being closed, and is sent when the connection returns: once by the
//    "online" event on an open page, once on the next visit to the page after logging in again.
//
// 3. the recorded memo shows its length on the supervisor's review screen.
//
// Inputs (environment): BASE_URL, OUT_DIR, PHOTO_A, PHOTO_B, CADRE, SUPERVISOR, PASSWORD, CHROMIUM.
// Exit status 0 on success; each failed check throws with its reason.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { check, env } = require('./common');

const BASE = env('BASE_URL');
const SHOTS = path.join(env('OUT_DIR'), 'screenshots');
fs.mkdirSync(SHOTS, { recursive: true });

const serverCaptures = (page) => page.evaluate(async () => {
  const res = await fetch('/api/captures', { headers: { Accept: 'application/json' } });
  const body = await res.json();
  if (!body.captures) throw new Error('GET /api/captures: ' + res.status + ' ' + JSON.stringify(body));
  return body.captures;
});
const outboxCount = (page) => page.evaluate(() => new Promise((resolve, reject) => {
  const req = indexedDB.open('minxin-outbox'); // the page's version, whatever it is
  req.onsuccess = () => {
    if (!req.result.objectStoreNames.contains('uploads')) { resolve(0); req.result.close(); return; }
    const t = req.result.transaction('uploads', 'readonly').objectStore('uploads').count();
    t.onsuccess = () => { resolve(t.result); req.result.close(); };
    t.onerror = () => reject(t.error);
  };
  req.onerror = () => reject(req.error);
}));
async function login(page) {
  await page.fill('input[name="login"]', env('CADRE'));
  await page.fill('input[name="password"]', env('PASSWORD'));
  await Promise.all([page.waitForNavigation(), page.click('main button[type="submit"]')]);
}
const rows = (page) => page.locator('#my-captures [data-capture-id]').count();

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minxin-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    permissions: ['microphone'],
  });
  ctx.setDefaultTimeout(60000);
  const errors = [];
  const watch = (p) => p.on('pageerror', (e) => { console.error('PAGE ERROR', e.message); errors.push(e.message); });
  let page = ctx.pages()[0] || (await ctx.newPage());
  watch(page);

  await page.goto(BASE + '/login');
  await login(page);
  check(page.url().includes('/capture'), 'cadre lands on the capture page');

  // --- 1. a memo recorded in the browser --------------------------------------------------
  check(await page.isVisible('#rec-btn'), 'the record button is offered (MediaRecorder present)');
  await page.click('#rec-btn');
  await page.waitForFunction(() => document.querySelector('#rec-btn').classList.contains('recording'));
  await page.waitForTimeout(2500);
  await page.click('#rec-btn');
  await page.waitForSelector('#picked audio');
  let before = await rows(page);
  await page.click('#send-btn');
  await page.waitForFunction((n) => document.querySelectorAll('#my-captures [data-capture-id]').length > n, before);
  check((await page.textContent('#upload-msg')).includes('已上传'), 'the recorded memo was uploaded');
  const memoId = Number(await page.getAttribute('#my-captures [data-capture-id]:first-child', 'data-capture-id'));
  const memo = await page.evaluate(async (id) => (await fetch(`/api/captures/${id}`)).json(), memoId);
  check(memo.kind === 'audio', `the server stored it as audio (${memo.files.map((f) => f.media_type)})`);
  check(/^memo-.*\.(webm|ogg|m4a)$/.test(memo.files[0].name) && memo.files[0].size > 1000,
    `as the browser recorded it: ${memo.files[0].name}, ${memo.files[0].size} bytes`);

  // --- 2a. offline, then the signal returns while the page is open ------------------------
  const onServer = (await serverCaptures(page)).length;
  await ctx.setOffline(true);
  await page.waitForFunction(() => !document.querySelector('#offline-banner').hidden);
  check(true, 'the offline banner shows when the signal drops');
  await page.setInputFiles('#files-input', env('PHOTO_A'));
  await page.click('#send-btn');
  await page.waitForFunction(() => !document.querySelector('#outbox').hidden);
  check((await page.textContent('#upload-msg')).includes('已保存在本机'), 'the cadre is told the upload is kept');
  check(await outboxCount(page) === 1 && (await page.textContent('#outbox-count')).trim() === '1',
    'one upload waits in IndexedDB and is listed');
  await page.screenshot({ path: path.join(SHOTS, 'capture-offline.png'), fullPage: true });
  before = await rows(page);
  await ctx.setOffline(false);
  await page.waitForFunction((n) => document.querySelectorAll('#my-captures [data-capture-id]').length > n, before);
  await page.waitForFunction(() => document.querySelector('#outbox').hidden);
  check(await outboxCount(page) === 0, 'sent when the signal returned; the outbox is empty');
  check((await serverCaptures(page)).length === onServer + 1, 'the server has it');

  // --- 2b. offline, the page closed, sent on the next visit -------------------------------
  await ctx.setOffline(true);
  await page.waitForFunction(() => !document.querySelector('#offline-banner').hidden);
  await page.setInputFiles('#files-input', env('PHOTO_B'));
  await page.click('#send-btn');
  await page.waitForFunction(() => !document.querySelector('#outbox').hidden);
  check(await outboxCount(page) === 1, 'a second upload waits in IndexedDB');
  await page.close();
  await ctx.setOffline(false);
  page = await ctx.newPage();
  watch(page);
  await page.goto(BASE + '/capture/');
  if (page.url().includes('/login')) {
    // Closing the browser's last page ended its session (the cookie is a session cookie), as
    // closing the browser on a phone does: the cadre logs in again and lands on the capture page.
    console.log('the session ended with the page: logging in again');
    await login(page);
  }
  check(page.url().includes('/capture'), 'back on the capture page');
  let after = await serverCaptures(page);
  for (let i = 0; i < 60 && after.length < onServer + 2; i++) {
    await page.waitForTimeout(500);
    after = await serverCaptures(page);
  }
  await page.waitForFunction(() => document.querySelector('#outbox').hidden);
  check(after.length === onServer + 2, `kept across the closed page and sent on the next visit (${after.length} captures)`);
  check(await outboxCount(page) === 0, 'nothing left waiting');
  check(after.filter((c) => c.kind === 'pages').length === 2, 'both photos arrived as page captures');

  // --- 3. the recorded memo on the supervisor's review screen has a length ----------------
  // (bug 8 of issue #29: MediaRecorder's WebM has no duration in its header: Infinity, 0:00)
  const sb = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu'] });
  const sup = await sb.newPage();
  watch(sup);
  await sup.goto(BASE + '/login');
  await sup.fill('input[name="login"]', env('SUPERVISOR'));
  await sup.fill('input[name="password"]', env('PASSWORD'));
  await Promise.all([sup.waitForNavigation(), sup.click('main button[type="submit"]')]);
  for (let i = 0; i < 60; i++) {
    await sup.goto(`${BASE}/review/${memoId}`);
    if (await sup.locator('#transcript').count()) break;
    await sup.waitForTimeout(1000);
  }
  const shown = (await sup.textContent('#player-duration')).trim();
  check(/^\d+:\d\d$/.test(shown) && shown !== '0:00', `the review screen shows the memo's length: ${shown}`);
  await sup.waitForFunction(() => Number.isFinite(document.getElementById('player').duration), null, { timeout: 20000 })
    .catch(() => {});
  const dur = await sup.evaluate(() => { const p = document.getElementById('player'); return [p.duration, p.currentTime]; });
  check(Number.isFinite(dur[0]) && dur[0] > 1 && dur[1] === 0,
    `the player knows the recorded memo's length (${dur[0]} s) and stands at its start (${dur[1]})`);
  await sb.close();

  check(errors.length === 0, `no script errors (${errors.join('; ')})`);
  await ctx.close();
  console.log('ALL CHECKS PASSED');
}

main().catch((err) => { console.error(err); process.exit(1); });
