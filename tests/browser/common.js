// What every browser scenario shares: reading its inputs from the environment, checking (each
// check printed, the first failure ends the run), signing in, screenshots.
'use strict';
const path = require('path');

function env(name, dflt) {
  const v = process.env[name] || dflt;
  if (v === undefined) throw new Error(`missing ${name}`);
  return v;
}

function check(cond, message) {
  if (!cond) throw new Error('CHECK FAILED: ' + message);
  console.log('ok -', message);
}

async function login(page, base, who, password) {
  await page.goto(base + '/login');
  await page.fill('input[name="login"]', who);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForNavigation(), page.click('main button[type="submit"]')]);
  check(!page.url().includes('/login'), `${who} logged in`);
}

async function shot(page, dir, name, opts) {
  const file = path.join(dir, name);
  await page.screenshot({ path: file, ...(opts || {}) });
  console.log('screenshot', file);
}

module.exports = { env, check, login, shot };
