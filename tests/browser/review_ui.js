// The review screen's dialogs, bulk accept, evidence box and phone layout in Debian's headless
// Chromium (driven by tests/test_browser_review.py, on seeded captures).
// Inputs (environment): BASE_URL, OUT_DIR, CADRE, SUPERVISOR, PASSWORD and capture ids PAGES,
// VALIDATE, RETURN, REJECT, BULK_A, BULK_B. Exit status 0 on success.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const common = require('./common');
const { check, env } = common;

const BASE = env('BASE_URL');
const SHOTS = path.join(env('OUT_DIR'), 'screenshots');
const PASSWORD = env('PASSWORD');
const ID = Object.fromEntries(['PAGES', 'VALIDATE', 'RETURN', 'REJECT', 'BULK_A', 'BULK_B'].map((k) => [k, env(k)]));
fs.mkdirSync(SHOTS, { recursive: true });
const pageErrors = [];

async function browser(options) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minxin-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...options,
  });
  ctx.setDefaultTimeout(30000);
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.on('pageerror', (err) => { console.error('PAGE ERROR', err.message); pageErrors.push(err.message); });
  return { ctx, page };
}

const shot = (page, name, opts) => common.shot(page, SHOTS, name, opts);

const login = (page, who) => common.login(page, BASE, who, PASSWORD);

async function main() {
  let b = await browser({ viewport: { width: 1440, height: 900 } });
  let page = b.page;
  await login(page, env('SUPERVISOR'));

  // --- bulk accept: only confident captures can be ticked; each confirmed on its own.
  await page.goto(BASE + '/review/');
  const ticks = await page.$$eval('#queue input[name="ids"]', (els) => els.map((e) => e.value));
  check(ticks.sort().join() === [ID.BULK_A, ID.BULK_B].sort().join(), `only confident captures can be ticked (${ticks})`);
  check(await page.isDisabled('#bulk-confirm'), 'bulk confirm disabled until something is ticked');
  for (let i = 0; i < 5; i++) await page.keyboard.press('j');  // the fifth row: BULK_A
  check(await page.locator(`#queue tr.selected a[href$="/review/${ID.BULK_A}"]`).count() === 1, 'J moves to a confident row');
  await page.keyboard.press('x');
  check((await page.textContent('#bulk-count')).trim() === '1', 'X ticks the current confident row');
  await page.keyboard.press('x');
  check((await page.textContent('#bulk-count')).trim() === '0', 'X again unticks it');
  await page.check('#select-confident');
  check((await page.textContent('#bulk-count')).trim() === '2', 'select-all ticks both confident captures');
  check(page.url().endsWith('/review/'), 'ticking does not open the capture');
  await shot(page, 'review-bulk.png');
  await Promise.all([page.waitForNavigation(), page.click('#bulk-confirm')]);
  let main = await page.textContent('main');
  check(main.includes('已批量确认 2 条，其中 1 条问题进入台账'), 'bulk confirmed two, one problem into the ledger');
  check(await page.locator(`#queue a[href$="/review/${ID.BULK_A}"]`).count() === 0, 'bulk-confirmed capture left the queue');

  // --- the page photo: focusing a field keeps its evidence box in view.
  await page.goto(`${BASE}/review/${ID.PAGES}`);
  await page.waitForFunction(() => { const i = document.querySelector('figure.page img'); return i && i.complete && i.naturalWidth > 0; });
  await page.evaluate(() => { document.querySelector('section.original').scrollTop = 0; });
  await page.focus('#f-reflections');
  await page.waitForTimeout(400);
  const view = await page.evaluate(() => {
    const box = document.querySelector('polygon.line-box.evidence');
    const r = box.getBoundingClientRect();
    const o = document.querySelector('section.original').getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, otop: o.top, obottom: o.bottom, vh: window.innerHeight };
  });
  check(view.top >= view.otop - 1 && view.bottom <= view.obottom + 1 && view.bottom <= view.vh,
    `the evidence box of the focused field is in view ${JSON.stringify(view)}`);
  await shot(page, 'review-evidence-box.png');

  // --- an audio transcript: no separator stands on a line of its own.
  await page.goto(`${BASE}/review/${ID.VALIDATE}`);
  const bare = await page.evaluate(() => Array.from(document.querySelector('#transcript').childNodes)
    .filter((n) => n.nodeType === 3 && n.textContent.trim()).map((n) => n.textContent));
  check(bare.length === 0, `no bare separators between audio segments (${JSON.stringify(bare)})`);

  // --- confirm refused in the dialog: the form and the dialog keep what was typed.
  await page.fill('#f-place', '南荒沟村五组');
  await page.fill('#f-solution', '请住建站上门鉴定');
  await page.keyboard.press('Escape');
  await page.keyboard.press('c');
  check(await page.locator('#confirm-dialog[open]').count() === 1, 'C opens the confirm dialog');
  check(await page.isChecked('input[name="triage"][value="ledger"]'), 'a written problem defaults to "into the ledger"');
  await page.keyboard.press('3');
  const tomorrow = new Date(Date.now() + 86400000 * 3).toISOString().slice(0, 10);
  await page.fill('input[name="deadline"]', tomorrow);
  const before = page.url();
  await page.focus('input[name="deadline"]');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(500);
  check(page.url() === before, 'a confirm without 责任单位 is not sent');
  check(await page.isVisible('#confirm-error') && (await page.textContent('#confirm-error')).includes('责任单位'),
    'the dialog says 责任单位 is needed');
  check(await page.evaluate(() => document.activeElement.name === 'responsible_unit'), 'focus moves to 责任单位');
  check(await page.locator('#confirm-dialog[open]').count() === 1, 'the dialog stays open');
  check((await page.inputValue('#f-place')) === '南荒沟村五组' && (await page.inputValue('#f-solution')) === '请住建站上门鉴定',
    'the unsaved edits are kept');
  await shot(page, 'review-confirm-validation.png');
  await page.keyboard.type('县住建局');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  check((await page.textContent('main')).includes('进入台账'), 'confirmed with the deadline, into the ledger');

  // --- the confirmed capture: read-only, with who, when and which ledger item.
  await page.goto(`${BASE}/review/${ID.VALIDATE}`);
  check(await page.locator('#entry-form').count() === 0 && await page.locator('section.entry input, section.entry textarea').count() === 0,
    'a confirmed capture shows no editable fields');
  const decision = await page.textContent('#decision');
  check(decision.includes('孙建国') && /\d{4}-\d\d-\d\d \d\d:\d\d/.test(decision) && await page.locator('#confirmed-items a').count() === 1,
    `confirmation shown: who, when, ledger item (${decision.replace(/\s+/g, ' ').trim()})`);
  check((await page.textContent('#entry-readonly')).includes('南荒沟村五组'), 'the confirmed values as saved');
  await shot(page, 'review-confirmed.png');

  // --- Ctrl+Enter sends the return and reject dialogs.
  await page.goto(`${BASE}/review/${ID.RETURN}`);
  await page.keyboard.press('r');
  check(await page.locator('#return-dialog[open]').count() === 1, 'R opens the return dialog');
  await page.keyboard.type('受访人姓名写全');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Control+Enter')]);
  check((await page.textContent('main')).includes('已退回'), 'Ctrl+Enter returns the capture');
  await page.goto(`${BASE}/review/${ID.REJECT}`);
  await page.keyboard.press('x');
  check(await page.locator('#reject-dialog[open]').count() === 1, 'X opens the reject dialog');
  await page.keyboard.press('Control+Enter');
  await page.waitForTimeout(300);
  check(await page.locator('#reject-dialog[open]').count() === 1, 'Ctrl+Enter with no reason does not send');
  await page.keyboard.type('录音与走访无关');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Control+Enter')]);
  check((await page.textContent('main')).includes('已驳回'), 'Ctrl+Enter rejects the capture');

  // --- inputs without a type are styled like the others.
  await page.goto(BASE + '/ledger/');
  const styled = await page.evaluate(() => {
    const plain = document.querySelector('input[name="q"]');
    const s = getComputedStyle(plain);
    return { radius: s.borderRadius, display: s.display };
  });
  check(styled.radius === '6px' && styled.display === 'block', `an input without a type is styled ${JSON.stringify(styled)}`);

  // --- English error page, with the site's navigation.
  await page.goto(BASE + '/review/');
  await Promise.all([page.waitForNavigation(), page.click('header .session button:has-text("English")')]);
  const resp = await page.goto(BASE + '/review/999999');
  main = await page.textContent('body');
  check(resp.status() === 404 && main.includes('Page not found') && !main.includes('Not Found'), '404 page in English');
  check(await page.locator('header.topbar nav a', { hasText: 'Review' }).count() === 1, '404 page keeps the navigation');
  await shot(page, 'error-404-en.png');
  await b.ctx.close();

  // --- the supervisor on a phone: navigation on one line per link; the cadre sees the rejection.
  b = await browser({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  page = b.page;
  await login(page, env('SUPERVISOR'));
  await page.goto(BASE + '/review/');
  const links = await page.$$eval('header.topbar nav a', (els) => els.map((a) => {
    const r = a.getBoundingClientRect();
    return { text: a.textContent.trim(), w: Math.round(r.width), h: Math.round(r.height), lh: parseFloat(getComputedStyle(a).lineHeight) || 24 };
  }));
  check(links.length >= 3 && links.every((l) => l.h < l.lh * 1.5 + 12), `navigation links stay on one line ${JSON.stringify(links)}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `the queue page does not overflow the phone (${overflow}px)`);
  await shot(page, 'review-queue-phone.png');
  await b.ctx.close();

  b = await browser({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  page = b.page;
  await login(page, env('CADRE'));
  await page.goto(BASE + '/capture/');
  const reason = await page.textContent(`[data-capture-id="${ID.REJECT}"] .rejected-reason`);
  check(reason.includes('录音与走访无关'), 'the cadre sees why the capture was rejected');
  await page.locator(`[data-capture-id="${ID.REJECT}"]`).scrollIntoViewIfNeeded();
  await shot(page, 'capture-rejected-phone.png');
  await b.ctx.close();

  check(pageErrors.length === 0, `no script errors (${pageErrors.join('; ')})`);
  console.log('ALL CHECKS PASSED');
}

main().catch((err) => { console.error(err && err.stack ? err.stack : err); process.exit(1); });
