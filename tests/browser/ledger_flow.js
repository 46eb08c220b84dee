// The ledger as a township office lives it, in Debian's headless Chromium (driven by
// tests/test_browser_ledger.py, which moves the server's clock and runs the daily job between
// the two phases):
//   PHASE=before: a cadre uploads from a phone; the township supervisor confirms into the ledger
//     (上报); accepts and escalates to the county; the township and the village still see it,
//     read-only, with who holds it; the county admin sends it back; the township sets a deadline
//     and asks for 延期; the county approves it; the villager's page shows the new date.
//   PHASE=after (deadline passed, 催办 and 督办 sent): the county's 督办 list has it; the dashboard's
//     逾期 agrees with the ledger; completed 部分解决; the villager rates 不满意 once; the item is
//     reopened under the same number; the old code says it was used; 三率 as the ledger says.
//
// Inputs (environment): BASE_URL, OUT_DIR, PHASE, PHOTO, CADRE, SUPERVISOR, ADMIN, PASSWORD.
// State between phases: OUT_DIR/ledger-flow.json. Exit status 0 on success.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const common = require('./common');
const { check, env } = common;

const BASE = env('BASE_URL');
const OUT = env('OUT_DIR');
const PHASE = env('PHASE');
const SHOTS = path.join(OUT, 'screenshots');
const STATE = path.join(OUT, 'ledger-flow.json');
const PASSWORD = env('PASSWORD');
fs.mkdirSync(SHOTS, { recursive: true });

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const pageErrors = [];

async function browser(options) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minxin-ledger-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: FLAGS,
    locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1366, height: 900 }, ...options,
  });
  ctx.setDefaultTimeout(60000);
  ctx.setDefaultNavigationTimeout(120000);
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.on('pageerror', (err) => { console.error('PAGE ERROR', err.message); pageErrors.push(err.message); });
  return { ctx, page };
}

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

const shot = (page, name, opts) => common.shot(page, SHOTS, name, opts);

const login = (page, who) => common.login(page, BASE, who, PASSWORD);

const main_ = (page) => page.textContent('main');

// Fill the action form on the item page and submit it; returns the page's text after the redirect.
async function act(page, action, fields) {
  const form = page.locator(`form[action$="/${action}"]`).first();
  check(await form.count() === 1, `the item page offers ${action}`);
  for (const [name, value] of Object.entries(fields || {})) {
    const input = form.locator(`[name="${name}"]`);
    const type = await input.first().getAttribute('type');
    if (type === 'radio') await form.locator(`[name="${name}"][value="${value}"]`).check();
    else if ((await input.first().evaluate((el) => el.tagName)) === 'SELECT') await input.selectOption(value);
    else await input.fill(value);
  }
  await Promise.all([page.waitForNavigation(), form.locator('button[type="submit"]').click()]);
  const text = await main_(page);
  check(!/Not Found|Forbidden/.test(await page.title()) && !text.includes('Not Found'), `${action}: no error page`);
  return text;
}

async function noHorizontalScroll(page, what) {
  const w = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  check(w[0] <= w[1] + 1, `${what} fits the phone's width (${w[0]} <= ${w[1]})`);
}

async function tableNumbers(page, id) {
  return page.evaluate((tid) => Array.from(document.querySelectorAll(`#${tid} tbody tr`)).map(
    (tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent.trim())), id);
}

async function before() {
  const CADRE = env('CADRE'), SUP = env('SUPERVISOR'), ADMIN = env('ADMIN');
  const problem = '南荒沟村三组自来水管冻裂，六户停水十天';
  // The cadre uploads a page photo from a phone.
  let b = await browser(PHONE);
  let page = b.page;
  await login(page, CADRE);
  await page.setInputFiles('#files-input', env('PHOTO'));
  await page.waitForSelector('#picked > div');
  await page.click('#send-btn');
  await page.waitForFunction(() => document.querySelectorAll('#my-captures [data-capture-id]').length > 0);
  const captureId = Number(await page.getAttribute('#my-captures [data-capture-id]:first-child', 'data-capture-id'));
  await page.waitForFunction((id) => {
    const li = document.querySelector(`[data-capture-id="${id}"]`);
    return li && li.dataset.status === 'ready_for_review';
  }, captureId, { timeout: 300000, polling: 1000 });
  check(true, `capture #${captureId} ready for review`);
  await b.ctx.close();

  // The township supervisor confirms it into the ledger, reported upwards (上报).
  b = await browser();
  const sup = b.page;
  await login(sup, SUP);
  await sup.goto(`${BASE}/review/${captureId}`);
  await sup.fill('#f-problem', problem);
  // The confirmed place decides whose ledger the item enters (the fake recognizer's may differ).
  await sup.fill('#f-place', '南荒沟村三组');
  await sup.locator('#f-problem').press('Escape');
  await sup.keyboard.press('c');
  check(await sup.locator('#confirm-dialog[open]').count() === 1, 'the confirm dialog opens');
  await sup.check('#confirm-dialog input[name="triage"][value="escalate"]');
  await sup.fill('#confirm-dialog input[name="reason"]', '村里无力维修管网');
  await Promise.all([sup.waitForNavigation(), sup.click('#btn-confirm-final')]);
  check((await main_(sup)).includes('进入台账'), 'confirmed into the ledger');

  await sup.goto(BASE + '/ledger/');
  const link = sup.locator('table.ledger-list tr', { hasText: problem.slice(0, 10) }).locator('a').first();
  const code = (await link.textContent()).trim();
  await Promise.all([sup.waitForNavigation(), link.click()]);
  const itemUrl = sup.url();
  const itemId = Number(itemUrl.match(/\/ledger\/item\/(\d+)/)[1]);
  check((await main_(sup)).includes('已上报待受理'), `item ${code} (#${itemId}) reported to the township`);
  await act(sup, 'accept', { note: '乡里受理' });
  let text = await act(sup, 'escalate', { reason: '需县水利局立项改造管网' });
  check(sup.url() === itemUrl, 'after escalating to the county the township lands on the item, not a 404');
  check(text.includes('当前由宽甸县办理'), 'the township sees who holds it now');
  check(text.includes('需县水利局立项改造管网') && text.includes('村里无力维修管网'), 'and its history');
  check(await sup.locator('.actions form').count() === 0, 'read-only for the township: no action forms');
  await shot(sup, 'ledger-escalated-township.png', { fullPage: true });
  await sup.goto(BASE + '/ledger/');
  check((await main_(sup)).includes(code), 'the escalated item is still in the township\'s ledger list');

  // The village cadre still sees it too, on a phone, read-only.
  b = await browser(PHONE);
  page = b.page;
  await login(page, CADRE);
  const resp = await page.goto(itemUrl);
  check(resp.status() === 200, `the cadre opens the escalated item (${resp.status()})`);
  text = await main_(page);
  check(text.includes('宽甸县') && text.includes(code), 'the cadre sees it held by the county, same number');
  await noHorizontalScroll(page, 'the item page');
  await shot(page, 'ledger-item-phone.png', { fullPage: true });
  await page.goto(BASE + '/ledger/');
  check((await main_(page)).includes(code), 'the item stays in the village\'s ledger list');
  await noHorizontalScroll(page, 'the ledger list');
  await shot(page, 'ledger-phone.png', { fullPage: true });
  await b.ctx.close();

  // The county admin sends it back with guidance.
  b = await browser();
  const admin = b.page;
  await login(admin, ADMIN);
  await admin.goto(itemUrl);
  text = await act(admin, 'send_back', { guidance: '请乡里先组织抢修，县里安排资金' });
  check(admin.url() === itemUrl || text.includes(code), 'the admin lands on a page it may see');

  // The township sets a deadline and asks for more time before it.
  await sup.goto(itemUrl);
  check((await main_(sup)).includes('请乡里先组织抢修'), 'the township sees the guidance');
  await act(sup, 'set_deadline', { deadline: '2026-06-03', responsible_unit: '乡水利站' });
  check(await sup.locator('form[action$="/decide_extension"]').count() === 0, 'the holder cannot decide its own 延期');
  text = await act(sup, 'request_extension', { new_deadline: '2026-06-05', reason: '管材到货需要时间' });
  check(text.includes('申请延至 2026-06-05'), '延期 asked, waiting for the level above');

  // The county approves; the villager's page shows the new date.
  await admin.goto(itemUrl);
  text = await act(admin, 'decide_extension', { decision: 'approve', note: '同意' });
  check(text.includes('2026-06-05') && text.includes('同意延期至 2026-06-05'), '延期 approved: deadline 2026-06-05');
  await shot(admin, 'ledger-extension.png', { fullPage: true });
  b = await browser(PHONE);
  await b.page.goto(`${BASE}/public/e/${code}`);
  check((await main_(b.page)).includes('办理时限已延至 2026-06-05'), 'the villager is told the new date');
  await b.ctx.close();
  fs.writeFileSync(STATE, JSON.stringify({ code, itemId, itemUrl }));
}

async function after() {
  const SUP = env('SUPERVISOR'), ADMIN = env('ADMIN');
  const { code, itemId, itemUrl } = JSON.parse(fs.readFileSync(STATE, "utf8"));
  let text;
  // The county's 督办 list.
  let b = await browser();
  const admin = b.page;
  await login(admin, ADMIN);
  await admin.goto(BASE + '/dashboard/');
  // Bug 16 of issue #29: the satisfaction doughnut as tall as the bar charts beside it
  const heights = await admin.evaluate(() => ['chart-items', 'chart-visits', 'chart-satisfaction']
    .map((id) => document.getElementById(id).getBoundingClientRect().height));
  check(heights[0] > 50 && Math.abs(heights[2] - heights[0]) <= 2 && Math.abs(heights[1] - heights[0]) <= 2,
    `the charts are one height: ${heights.map(Math.round).join(' / ')} px`);
  const supervision = await tableNumbers(admin, 'table-supervision');
  check(supervision.some((row) => row[0] === code), `督办: ${code} on the county's list`);
  await admin.locator('#supervision').scrollIntoViewIfNeeded();
  await shot(admin, 'dashboard-supervision.png');

  // Recurring problems across villages, one step to a key project.
  const cluster = admin.locator('#recurring ~ section.cluster').first();
  check(await cluster.count() === 1 && (await cluster.textContent()).includes('2 个村'), 'a problem recurring in 2 villages is listed');
  await cluster.scrollIntoViewIfNeeded();
  await shot(admin, 'dashboard-recurring.png');
  await cluster.locator('input[name="name"]').fill('冬季饮水管网防冻');
  await Promise.all([admin.waitForNavigation(), cluster.locator('button[type="submit"]').click()]);
  text = await main_(admin);
  check(text.includes('已创建重点项目') && admin.url().includes('project='), 'the cluster became a key project in one step');
  check((await admin.locator('table.ledger-list tbody tr a[href*="/ledger/item/"]').count()) === 2,
    'the project lists both villages\' items');

  // The township's dashboard: 逾期 as the ledger and the reminders show it.
  const sb = await browser();
  const sup = sb.page;
  await login(sup, SUP);
  await sup.goto(itemUrl);
  text = await main_(sup);
  check(text.includes('催办') && text.includes('督办'), 'the item page lists the 催办 and 督办 sent');
  check(text.includes('逾期'), 'the item shows it is overdue');
  await sup.goto(BASE + '/ledger/?overdue=1');
  const listed = await sup.locator('table.ledger-list tbody tr a[href*="/ledger/item/"]').count();
  await sup.goto(BASE + '/dashboard/');
  const units = await tableNumbers(sup, 'table-units');
  const total = units[units.length - 1];
  const due = await tableNumbers(sup, 'table-due');
  const reminded = due.reduce((n, row) => n + (row[1] === '0' ? 0 : row[1].split(/\s+/).filter((w) => /^[A-Z0-9]{8}$/.test(w)).length), 0);
  check(Number(total[3]) === listed && listed === reminded && listed >= 1,
    `dashboard 逾期 ${total[3]} = ledger 只看逾期 ${listed} = 到期提醒 ${reminded}`);

  // Completed 部分解决, with the feedback the county's template starts.
  await sup.goto(itemUrl);
  const result = '已更换主管道，三户恢复供水', reason = '冬季无法施工，剩余管网明年开春改造';
  await sup.fill('form[action$="/complete"] textarea[name="result"]', result);
  await sup.fill('form[action$="/complete"] textarea[name="outcome_reason"]', reason);
  await sup.selectOption('form[action$="/feedback"] select.reply-template', '部分解决');
  const note = await sup.inputValue('form[action$="/feedback"] textarea[name="note"]');
  check(note.includes('部分解决') && note.includes(result) && note.includes(reason) && note.includes(code),
    `the 部分解决 reply template fills the feedback note (${note})`);
  await act(sup, 'feedback', { method: '电话告知' });
  text = await act(sup, 'complete', { result, outcome: '部分解决', outcome_reason: reason });
  check(text.includes('部分解决') && text.includes('冬季无法施工'), 'completed 部分解决 with the reason');
  await act(sup, 'close', { note: '阶段验收' });

  // The supervisor prints the feedback slip: the villager's secret code is on it, not the number.
  await sup.goto(itemUrl);
  check(!(await main_(sup)).includes('评议码 '), 'the item page shows no evaluation code');
  await sup.goto(`${BASE}/ledger/item/${itemId}/slip`);
  const evalCode = (await sup.textContent('#eval-code')).trim();
  check(evalCode.length >= 8 && evalCode !== code, `the slip carries its own code (${evalCode}), not the number`);
  check(await sup.locator('img[src*="/public/qr/"]').count() === 1, 'and its QR code');

  // The item number does not open the evaluation form.
  b = await browser(PHONE);
  const villager = b.page;
  await villager.goto(`${BASE}/public/e/${code}`);
  check(await villager.locator('input[name="rating"]').count() === 0, 'the item number opens no evaluation form');
  // The villager types the code from the slip into the box on /public/ and rates 不满意, once.
  await villager.goto(`${BASE}/public/`);
  check((await villager.getAttribute('a.brand', 'href')) === '/public/', 'the logo stays on the public pages');
  await villager.fill('#eval-code', evalCode.toLowerCase());
  await Promise.all([villager.waitForNavigation(), villager.click('form.eval-code-box button')]);
  await villager.check('input[name="rating"][value="不满意"]');
  await villager.fill('textarea[name="comment"]', '还有三户没水');
  await Promise.all([villager.waitForNavigation(), villager.click('main button[type="submit"]')]);
  check((await main_(villager)).includes('感谢'), 'the villager is thanked');
  await villager.goto(`${BASE}/public/e/${evalCode}`);
  text = await main_(villager);
  check(text.includes('此评议码已使用') && text.includes('感谢'), 'the used code says so and thanks the villager');
  check(await villager.locator('input[name="rating"]').count() === 0, 'and offers no second rating');
  await shot(villager, 'public-code-used.png', { fullPage: true });

  // Reopened under the same number.
  await sup.goto(itemUrl);
  text = await main_(sup);
  check(text.includes('重新办理') && (await sup.textContent('h1')).includes(code), `reopened as ${code}`);
  check(text.includes('还有三户没水'), 'the villager\'s comment is in the history');
  await shot(sup, 'ledger-reopened.png', { fullPage: true });

  // 三率 as the ledger says: one completion, 部分解决 (解决率 0%); one evaluation, 不满意 (满意率 0%).
  await sup.goto(BASE + '/dashboard/');
  const rates = await tableNumbers(sup, 'table-rates');
  const town = rates.find((row) => row[0] === '古楼子乡');
  check(town[4] === '1' && town[5] === '0' && town[6] === '1' && town[8] === '0%',
    `古楼子乡 办结 1, 部分解决 1, 解决率 0% (${town.join(' ')})`);
  check(town[9] === '1' && town[12] === '1' && town[13] === '0%', `古楼子乡 评价 1, 不满意 1, 满意率 0%`);
  const csv = await sup.evaluate(async () => (await fetch('/dashboard/rates.csv')).text());
  const csvRows = csv.replace(/^\ufeff/, '').trim().split(/\r?\n/).slice(1).map((l) => l.split(','));
  check(JSON.stringify(csvRows) === JSON.stringify(rates), `the export has the table's numbers (${JSON.stringify(csvRows)} vs ${JSON.stringify(rates)})`);
  await sup.locator('#rates').scrollIntoViewIfNeeded();
  await shot(sup, 'dashboard-rates.png');
  fs.writeFileSync(path.join(OUT, 'ledger-flow-rates.json'), JSON.stringify({ rates, units, listed }));
  await sb.ctx.close();
  await b.ctx.close();
}

(PHASE === 'before' ? before() : after()).then(() => {
  check(pageErrors.length === 0, `no script errors on the pages (${pageErrors.join('; ')})`);
  console.log('ALL CHECKS PASSED');
  process.exit(0);
}).catch((err) => { console.error(err && err.stack ? err.stack : err); process.exit(1); });
