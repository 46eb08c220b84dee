// The county office on the web, in headless Chromium (tests/test_browser_office.py drives it):
// the admin creates a cadre, who signs in with the one-time password and must choose their own;
// the admin resets, deactivates (after a confirmation) and re-enables; a supervisor searches a
// villager's name and opens the hit while a cadre of another township finds nothing; the
// supervisor corrects a live item's category and its history shows old and new; a villager rates
// with the code from the printed slip, and the item's number opens no evaluation form.
//
// Inputs (environment): BASE_URL, OUT_DIR, PASSWORD, ADMIN, SUPERVISOR, OTHER_CADRE, ITEM_ID,
// CLOSED_ID, CLOSED_NUMBER, VILLAGE_ID.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { check, env, login, shot } = require('./common');

const BASE = env('BASE_URL');
const PASSWORD = env('PASSWORD');
const SHOTS = path.join(env('OUT_DIR'), 'screenshots');
fs.mkdirSync(SHOTS, { recursive: true });

async function browser() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minxin-office-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    locale: 'zh-CN', viewport: { width: 1200, height: 900 },
  });
  ctx.setDefaultTimeout(30000);
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.on('pageerror', (e) => { throw new Error('page error: ' + e.message); });
  return { ctx, page };
}

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return page.textContent('main');
}

async function signIn(page, who, password) {
  await page.goto(BASE + '/login');
  await page.fill('input[name="login"]', who);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForNavigation(), page.click('main button[type="submit"]')]);
  return page.url();
}

(async () => {
  // --- people: create, one-time password, reset, deactivate with confirmation, re-enable ---
  const a = await browser();
  const admin = a.page;
  await login(admin, BASE, env('ADMIN'), PASSWORD);
  check(await admin.locator('nav a[href="/admin/users"]').count() === 1, '/admin/users is in the navigation');
  await admin.goto(BASE + '/admin/users');
  let text = await admin.textContent('#users');
  check(text.includes('干部') && text.includes('审核人') && !text.includes('cadre '), 'roles are shown in Chinese');
  await admin.fill('#new-user input[name="login"]', 'wang_xin');
  await admin.fill('#new-user input[name="display_name"]', '王新');
  await admin.selectOption('#new-user select[name="role"]', 'cadre');
  await admin.selectOption('#new-user select[name="unit"]', env('VILLAGE_ID'));
  await submit(admin, '#new-user button');
  const first = (await admin.textContent('#one-time-password')).trim();
  check(first.length >= 12, 'the admin sees a one-time password once');
  await shot(admin, SHOTS, 'admin-one-time-password.png');

  let c = await browser();
  let url = await signIn(c.page, 'wang_xin', first);
  check(url.endsWith('/account/password'), 'the new cadre signs in and must change the password first');
  await c.page.goto(BASE + '/capture/');
  check(c.page.url().endsWith('/account/password'), 'no other page before that');
  const own = 'lantern-river-7309';
  await c.page.fill('#change-password input[name="current"]', first);
  await c.page.fill('#change-password input[name="new"]', own);
  await c.page.fill('#change-password input[name="repeat"]', own);
  await submit(c.page, '#change-password button');
  await c.page.goto(BASE + '/capture/');
  check(c.page.url().endsWith('/capture/'), 'after choosing a password the cadre works');

  // reset
  await admin.goto(BASE + '/admin/users');
  await Promise.all([admin.waitForNavigation(), admin.click('tr[data-login="wang_xin"] td a')]);
  await submit(admin, '#reset-password button');
  const second = (await admin.textContent('#one-time-password')).trim();
  check(second && second !== first, 'a reset gives a new one-time password');
  await c.page.goto(BASE + '/capture/');
  check(c.page.url().includes('/login'), 'the reset ended the cadre\'s session');
  // deactivate: the link asks first
  await admin.goto(BASE + '/admin/users');
  await Promise.all([admin.waitForNavigation(), admin.click('tr[data-login="wang_xin"] a.deactivate')]);
  text = await admin.textContent('main');
  check(text.includes('确认停用') && text.includes('王新'), 'deactivation asks for a confirmation');
  await shot(admin, SHOTS, 'admin-confirm-deactivate.png');
  text = await submit(admin, '#confirm-deactivate button');
  check(text.includes('已停用 wang_xin'), 'deactivated after the confirmation');
  url = await signIn(c.page, 'wang_xin', second);
  check(url.includes('/login'), 'a deactivated user cannot sign in');
  await admin.goto(BASE + '/admin/users');
  text = await submit(admin, 'tr[data-login="wang_xin"] button.activate');
  check(text.includes('已重新启用 wang_xin'), 're-enabled');
  url = await signIn(c.page, 'wang_xin', second);
  check(url.endsWith('/account/password'), 're-enabled, the cadre signs in with the reset password and must change it');
  await c.ctx.close();
  await a.ctx.close();

  // --- search: a villager's name, in scope only ---
  const s = await browser();
  const sup = s.page;
  await login(sup, BASE, env('SUPERVISOR'), PASSWORD);
  check(await sup.locator('nav a[href="/search/"]').count() === 1, 'search is in the navigation');
  await sup.goto(BASE + '/search/');
  await sup.fill('#search-q', '王秀英');
  await submit(sup, 'form[role="search"] button');
  check(await sup.locator('#hits mark').count() >= 1, 'the name is highlighted in the hits');
  await shot(sup, SHOTS, 'search-name.png');
  await Promise.all([sup.waitForNavigation(), sup.click(`#hits a[href="/ledger/item/${env('ITEM_ID')}"]`)]);
  check(sup.url().endsWith(`/ledger/item/${env('ITEM_ID')}`), 'the hit opens the ledger item');

  const o = await browser();
  await login(o.page, BASE, env('OTHER_CADRE'), PASSWORD);
  await o.page.goto(BASE + '/search/?q=' + encodeURIComponent('王秀英'));
  text = await o.page.textContent('main');
  check(text.includes('没有找到') && await o.page.locator('#hits mark').count() === 0,
    'a cadre of another township finds nothing');
  await o.ctx.close();

  // --- correcting a confirmed item's category: the history shows old and new ---
  await sup.goto(`${BASE}/ledger/item/${env('ITEM_ID')}`);
  await sup.click('details.correct-item summary');
  await sup.selectOption('#correct-item select[name="category"]', '饮水');
  text = await submit(sup, '#correct-item button');
  check(text.includes('已更正') && text.includes('道路桥梁 → 饮水'), 'the category is corrected; the history shows old → new');
  await shot(sup, SHOTS, 'ledger-corrected.png', { fullPage: true });

  // --- the villager's code: on the slip, not the number ---
  await sup.goto(`${BASE}/ledger/item/${env('CLOSED_ID')}`);
  check(!(await sup.textContent('main')).includes('评议码 '), 'the item page shows no evaluation code');
  await sup.goto(`${BASE}/ledger/item/${env('CLOSED_ID')}/slip`);
  const code = (await sup.textContent('#eval-code')).trim();
  check(code.length >= 8 && code !== env('CLOSED_NUMBER'), 'the printed slip carries the secret code');
  await shot(sup, SHOTS, 'feedback-slip.png');
  await s.ctx.close();

  const v = await browser();
  await v.page.goto(`${BASE}/public/e/${env('CLOSED_NUMBER')}`);
  check(await v.page.locator('input[name="rating"]').count() === 0, 'the item number does not open the evaluation form');
  await v.page.goto(BASE + '/public/');
  check((await v.page.getAttribute('a.brand', 'href')) === '/public/', 'the logo does not lead the villager to the login page');
  await v.page.fill('#eval-code', code);
  await submit(v.page, 'form.eval-code-box button');
  await v.page.check('input[name="rating"][value="满意"]');
  text = await submit(v.page, 'main button[type="submit"]');
  check(text.includes('感谢'), 'the villager rates with the code from the slip');
  await v.ctx.close();
  console.log('ALL CHECKS PASSED');
})().catch((e) => { console.error(e); process.exit(1); });
