// The offline capture app in Debian's headless Chromium (driven by tests/test_browser_capture.py):
// 1. the service worker is installed; with the network gone the capture page reloads from it and
//    works: a memo recorded on the fake microphone, and one cut off by a reload mid-recording,
//    are still there after reloads (IndexedDB), wait in the outbox with their size, and are sent
//    when the signal returns;
// 2. a large file over a throttled link, the connection cut halfway and restored: the upload
//    resumes from the last chunk the server acknowledged, and the server's bytes hash to the file;
// 3. the answer to "make the capture" lost on the way: the retry is told 已上传 #N, no error;
// 4. a big photo is shrunk in the browser, keeping its EXIF date (checked by the Python side).
//
// Inputs (environment): BASE_URL, OUT_DIR, CADRE, PASSWORD, CHROMIUM, FIRST_AUDIO, SMALL_AUDIO, BIG_AUDIO, BIG_PHOTO.
// Prints RESULT lines for the Python side; exit status 0 on success.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { check, env } = require('./common');

const BASE = env('BASE_URL');
const SHOTS = path.join(env('OUT_DIR'), 'screenshots');
fs.mkdirSync(SHOTS, { recursive: true });
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];
const PHONE = { locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 390, height: 844 }, isMobile: true,
  hasTouch: true, permissions: ['microphone'] };

async function login(page) {
  await page.fill('input[name="login"]', env('CADRE'));
  await page.fill('input[name="password"]', env('PASSWORD'));
  await Promise.all([page.waitForNavigation(), page.click('main button[type="submit"]')]);
}
const serverCaptures = async (page) => (await page.evaluate(async () => (await (await fetch('/api/captures')).json()).captures));
const draftCount = (page) => page.locator('#picked .draft').count();
const rows = (page) => page.locator('#my-captures [data-capture-id]').count();
const watch = (page, errors) => page.on('pageerror', (e) => { console.error('PAGE ERROR', e.message); errors.push(e.message); });

// --- 1. offline-first ----------------------------------------------------------------------
async function offlineFirst(errors) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minxin-sw-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ARGS, ...PHONE });
  ctx.setDefaultTimeout(60000);
  const page = ctx.pages()[0] || (await ctx.newPage());
  watch(page, errors);
  await page.goto(BASE + '/login');
  await login(page);
  check(page.url().endsWith('/capture/'), 'cadre lands on the capture page');
  const manifest = await page.evaluate(async () => {
    const link = document.querySelector('link[rel="manifest"]');
    return (await fetch(link.href)).json();
  });
  check(manifest.name === '民心日记' && manifest.start_url === '/capture/' && manifest.icons.length >= 2,
    `the web app manifest: ${manifest.name}, start ${manifest.start_url}, ${manifest.icons.length} icons`);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 30000 }).catch(() => null);
  if (!(await page.evaluate(() => !!navigator.serviceWorker.controller))) await page.reload();
  check(await page.evaluate(() => !!navigator.serviceWorker.controller), 'the service worker controls the capture page');
  await page.reload(); // the page as the worker keeps it, with the list as it is now
  await page.waitForFunction(async () => {
    const keys = await caches.keys();
    for (const k of keys) { const c = await caches.open(k); if (await c.match('/capture/') && await c.match('/static/capture.js')) return true; }
    return false;
  });
  check(true, 'the page and its script are in the offline cache');
  // One capture sent online first, so the list the worker keeps is not empty.
  await page.setInputFiles('#files-input', env('FIRST_AUDIO'));
  await page.click('#send-btn');
  await page.waitForFunction(() => document.querySelectorAll('#my-captures [data-capture-id]').length === 1);
  await page.waitForTimeout(500);
  const listedOnline = await rows(page);

  await ctx.setOffline(true);
  const sw = ctx.serviceWorkers()[0];
  if (sw) {
    const swFetch = await sw.evaluate(() => fetch('/login', { cache: 'no-store' }).then((r) => 'answered ' + r.status, () => 'failed'));
    check(swFetch === 'failed', `the network is gone for the service worker too (${swFetch})`);
  }
  const pageFetch = await page.evaluate(() => fetch('/login', { cache: 'no-store' }).then((r) => 'answered ' + r.status, () => 'failed'));
  check(pageFetch === 'failed', 'and for the page');
  const resp = await page.reload();
  check(resp && resp.fromServiceWorker(), 'offline, the capture page reloads from the service worker');
  await page.waitForSelector('#upload-form');
  check(!(await page.isHidden('#offline-banner')), 'it says there is no network');
  check(await page.isVisible('#rec-btn'), 'and offers recording (its script ran)');
  await page.waitForFunction((n) => document.querySelectorAll('#my-captures [data-capture-id]').length === n, listedOnline);
  check(listedOnline === 1, `the cadre's captures are listed offline (${listedOnline})`);
  await page.screenshot({ path: path.join(SHOTS, 'capture-offline-reload.png'), fullPage: true });

  // A memo recorded offline and stopped, then the page reloaded before sending.
  await page.click('#rec-btn');
  await page.waitForFunction(() => document.querySelector('#rec-btn').classList.contains('recording'));
  await page.waitForTimeout(3000);
  await page.click('#rec-btn');
  await page.waitForSelector('#picked audio');
  await page.reload();
  await page.waitForSelector('#picked audio');
  check(await draftCount(page) === 1, 'the stopped recording is still there after a reload');
  // A second one cut off by a reload while recording: its pieces were already in IndexedDB.
  await page.click('#rec-btn');
  await page.waitForFunction(() => document.querySelector('#rec-btn').classList.contains('recording'));
  await page.waitForTimeout(3500);
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('#picked audio').length === 2);
  const recovered = await page.textContent('#picked');
  check(recovered.includes('已恢复'), 'a recording cut off by a reload is recovered from its chunks');
  // Sent while offline: kept in the outbox with its size.
  await page.click('#send-btn');
  await page.waitForFunction(() => !document.querySelector('#outbox').hidden);
  const outbox = await page.textContent('#outbox-list');
  check((outbox.match(/录音 ×1 · \d+ KB/g) || []).length === 2 && outbox.includes('等待发送'),
    `the outbox shows both memos waiting, each with its size: ${outbox.trim()}`);
  check(await draftCount(page) === 0, 'and they left the picked list');
  await page.reload();
  await page.waitForFunction(() => !document.querySelector('#outbox').hidden);
  check((await page.textContent('#outbox-count')).trim() === '2', 'the outbox survives a reload offline');
  await page.screenshot({ path: path.join(SHOTS, 'capture-outbox-offline.png'), fullPage: true });

  // The sign-in expired while the phone was offline: back online the page asks to sign in and
  // keeps the queue; signed in again, it is sent.
  const before = await rows(page);
  await ctx.clearCookies();
  await ctx.setOffline(false);
  await page.waitForSelector('#signin-banner', { state: 'visible' });
  check((await page.textContent('#outbox-count')).trim() === '2', 'signed out while offline: asked to sign in, the queue kept');
  await page.screenshot({ path: path.join(SHOTS, 'capture-signin-again.png'), fullPage: true });
  await Promise.all([page.waitForNavigation(), page.click('#signin-banner a')]);
  await login(page);
  check(page.url().endsWith('/capture/'), 'signed in again, back on the capture page');
  await page.waitForFunction((n) => document.querySelectorAll('#my-captures [data-capture-id]').length >= n + 2, before, { timeout: 90000 });
  await page.waitForFunction(() => document.querySelector('#outbox').hidden);
  check((await page.textContent('#upload-msg')).includes('已上传'), 'sent when the signal returned');
  const ids = await page.$$eval('#my-captures [data-capture-id]', (els) => els.slice(0, 2).map((e) => Number(e.dataset.captureId)));
  const memos = [];
  for (const cid of ids) memos.push(await page.evaluate(async (c) => (await fetch(`/api/captures/${c}`)).json(), cid));
  for (const m of memos) console.log('RESULT memo ' + JSON.stringify(m.files));
  check(memos.every((m) => m.kind === 'audio' && m.status !== 'failed' && m.files[0].size > 1000),
    `the server has both recordings as audio (${memos.map((m) => m.files[0].size + ' bytes').join(', ')})`);
  // Logging out drops the offline copy: a shared phone does not show the last cadre's list.
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/logout"] button')]);
  await page.waitForFunction(async () => {
    for (const k of await caches.keys()) if (await (await caches.open(k)).match('/capture/')) return false;
    return true;
  });
  check(true, 'logging out removes the cached capture page');
  await ctx.close();
  return memos;
}

// --- 2-4 on a phone without the service worker (so every request can be watched) -------
async function throttledAndLost(browser, errors) {
  const ctx = await browser.newContext({ ...PHONE, serviceWorkers: 'block' });
  ctx.setDefaultTimeout(90000);
  const page = await ctx.newPage();
  watch(page, errors);
  await page.goto(BASE + '/login');
  await login(page);

  // An in-app browser without MediaRecorder: the phone's own recorder through the file picker.
  const bare = await ctx.newPage();
  watch(bare, errors);
  await bare.addInitScript(() => { delete window.MediaRecorder; });
  await bare.goto(BASE + '/capture/');
  check(await bare.isHidden('#rec-btn') && await bare.isVisible('#audio-fallback'),
    'without MediaRecorder the record button opens the phone recorder instead');
  check(await bare.getAttribute('#audio-input', 'accept') === 'audio/*', 'an audio file picker with capture');
  await bare.setInputFiles('#audio-input', env('FIRST_AUDIO'));
  await bare.waitForSelector('#picked audio');
  await bare.click('#picked .draft button'); // removed again: this phone shares its drafts
  await bare.waitForFunction(() => !document.querySelector('#picked .draft'));
  await bare.close();
  await page.reload();

  // 2. a large file, throttled, cut halfway.
  const big = fs.readFileSync(env('BIG_AUDIO'));
  const bigSha = crypto.createHash('sha256').update(big).digest('hex');
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  const slow = { offline: false, latency: 150, downloadThroughput: 256 * 1024, uploadThroughput: 96 * 1024 };
  await cdp.send('Network.emulateNetworkConditions', slow);
  const patches = []; // {offset, length, acked}
  page.on('request', (r) => {
    if (r.method() === 'PATCH' && /\/api\/(uploads|tus)\//.test(r.url())) {
      patches.push({ offset: Number(r.headers()['upload-offset']), length: (r.postDataBuffer() || Buffer.alloc(0)).length, acked: null });
    }
  });
  page.on('response', async (r) => {
    if (r.request().method() === 'PATCH' && /\/api\/(uploads|tus)\//.test(r.url()) && [200, 204].includes(r.status())) {
      const off = Number(r.request().headers()['upload-offset']);
      const p = patches.find((x) => x.offset === off && x.acked === null);
      if (p) p.acked = Number(r.headers()['upload-offset']); // the server's offset after the chunk
    }
  });
  await page.setInputFiles('#files-input', env('BIG_AUDIO'));
  const t0 = Date.now();
  await page.click('#send-btn');
  const acked = () => Math.max(0, ...patches.map((p) => p.acked || 0));
  while (acked() < big.length * 0.5) {
    if (Date.now() - t0 > 120000) throw new Error('the upload did not get halfway');
    await page.waitForTimeout(100);
  }
  const atCut = acked();
  const cutAt = patches.length;
  await cdp.send('Network.emulateNetworkConditions', { ...slow, offline: true });
  await ctx.setOffline(true);
  console.log(`cut the connection at ${atCut} of ${big.length} bytes (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  await page.waitForTimeout(4000);
  const waiting = await page.textContent('#outbox-list');
  check(waiting.includes('%'), `while cut off the outbox shows how far it got: ${waiting.trim()}`);
  const before = await rows(page);
  await ctx.setOffline(false);
  await cdp.send('Network.emulateNetworkConditions', slow);
  await page.waitForFunction((n) => document.querySelectorAll('#my-captures [data-capture-id]').length > n, before, { timeout: 180000 });
  // Chunks sent after the connection came back (requests made while it was cut failed at once).
  const resumed = patches.slice(cutAt).filter((p) => p.acked !== null);
  const ackedBytes = patches.reduce((n, p) => n + (p.acked !== null ? p.acked - p.offset : 0), 0);
  console.log(`RESULT resume cut_at=${atCut} size=${big.length} chunk_offsets=${patches.map((p) => p.offset + (p.acked === null ? '(lost)' : '')).join(',')}`);
  check(resumed.length > 0 && resumed[0].offset >= atCut,
    `the upload resumed from byte ${resumed.length && resumed[0].offset}, not from 0 (acknowledged before the cut: ${atCut})`);
  check(patches.filter((p) => p.offset === 0).length === 1 && ackedBytes === big.length,
    `every byte was acknowledged exactly once: ${ackedBytes} of ${big.length}, ${patches.length} chunk requests`);
  const bigId = Number(await page.getAttribute('#my-captures [data-capture-id]:first-child', 'data-capture-id'));
  const storedSha = await page.evaluate(async (cid) => {
    const buf = await (await fetch(`/capture/${cid}/files/0`)).arrayBuffer();
    const d = await crypto.subtle.digest('SHA-256', buf);
    return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
  }, bigId);
  check(storedSha === bigSha, `the server's stored bytes hash to the original (${storedSha.slice(0, 16)}…)`);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

  // 3. the answer to the capture request lost on the way; the retry is a success.
  const onServer = (await serverCaptures(page)).length;
  let dropped = 0;
  await page.route('**/api/captures', async (route) => {
    if (route.request().method() === 'POST' && dropped === 0) {
      dropped++;
      const answer = await route.fetch(); // the server makes the capture...
      console.log('answer dropped on the way: ' + answer.status());
      await route.abort('connectionreset'); // ...and the phone never hears of it
    } else {
      await route.continue();
    }
  });
  await page.setInputFiles('#files-input', env('SMALL_AUDIO'));
  await page.evaluate(() => { document.querySelector('#upload-msg').textContent = ''; });
  await page.click('#send-btn');
  await page.waitForFunction(() => /已上传 #\d+/.test(document.querySelector('#upload-msg').textContent), null, { timeout: 60000 });
  const said = await page.textContent('#upload-msg');
  const cls = await page.getAttribute('#upload-msg', 'class');
  const shown = Number(said.match(/#(\d+)/)[1]);
  const now = await serverCaptures(page);
  check(dropped === 1 && !cls.includes('error') && !said.includes('重复'), `after the lost answer the retry says "${said}", no error`);
  check(now.length === onServer + 1 && now[0].id === shown, `one capture made (#${shown}), listed in 我的采集`);
  check(await page.locator(`#my-captures [data-capture-id="${shown}"]`).count() === 1, 'and shown in the list');
  await page.unroute('**/api/captures');

  // 3b. refused by the server (bug 15 of issue #29): a 4xx other than 408/429 is final: shown
  // as refused with the server's reason, not as waiting, and not sent again.
  let posts = 0;
  await page.route('**/api/captures', async (route) => {
    if (route.request().method() !== 'POST') { await route.continue(); return; }
    posts++;
    await route.fulfill({ status: 422, contentType: 'application/json',
      body: JSON.stringify({ error: '录音太短，无法识别', code: 'too_short' }) });
  });
  await page.setInputFiles('#files-input', env('SMALL_AUDIO'));
  await page.click('#send-btn');
  await page.waitForFunction(() => !document.querySelector('#refused').hidden, null, { timeout: 60000 });
  const refusedText = await page.textContent('#refused-list');
  check(refusedText.includes('被服务器拒绝') && refusedText.includes('录音太短，无法识别'),
    `the refused upload shows the server's reason: ${refusedText.trim()}`);
  check(await page.isHidden('#outbox') && !refusedText.includes('等待发送'), 'and is not listed as waiting to be sent');
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.waitForTimeout(3000);
  check(posts === 1, `a refusal is final: asked once, not again (${posts})`);
  await page.locator('#refused-list button').click();
  await page.waitForFunction(() => document.querySelector('#refused').hidden);
  check(await page.locator('#refused-list li').count() === 0, 'deleted by hand, it is gone');
  await page.unroute('**/api/captures');

  // 4. a big photo, shrunk before it goes up.
  const photoSize = fs.statSync(env('BIG_PHOTO')).size;
  await page.setInputFiles('#files-input', env('BIG_PHOTO'));
  await page.waitForFunction(() => /原图/.test(document.querySelector('#picked').textContent), null, { timeout: 30000 });
  const before4 = await rows(page);
  await page.click('#send-btn');
  await page.waitForFunction((n) => document.querySelectorAll('#my-captures [data-capture-id]').length > n, before4);
  const photoId = Number(await page.getAttribute('#my-captures [data-capture-id]:first-child', 'data-capture-id'));
  const photo = await page.evaluate(async (cid) => (await fetch(`/api/captures/${cid}`)).json(), photoId);
  console.log(`RESULT photo id=${photoId} before=${photoSize} after=${photo.files[0].size} captured_at=${photo.captured_at}`);
  check(photo.files[0].size < photoSize / 2, `the photo went up shrunk: ${photoSize} -> ${photo.files[0].size} bytes`);
  await ctx.close();
}

async function main() {
  const errors = [];
  await offlineFirst(errors);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ARGS });
  try {
    await throttledAndLost(browser, errors);
  } finally {
    await browser.close();
  }
  check(errors.length === 0, `no script errors (${errors.join('; ')})`);
  console.log('ALL CHECKS PASSED');
}

main().catch((err) => { console.error(err); process.exit(1); });
