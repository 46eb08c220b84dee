// The tus server (webapp/api/tus.py) driven by the maintained client, tus-js-client 4.3.1 (its
// browser build, served from /static/vendor/), in Chromium: a file sent in small chunks, the
// upload aborted after STOP_AFTER chunks and resumed by a second Upload from its URL (HEAD, then
// PATCH from the offset the server gives), then made into a capture. Prints one JSON line:
// {"url", "chunks", "resumedFrom", "capture"}. Inputs: BASE_URL, CHROMIUM, CADRE, PASSWORD,
// FILE, CHUNK, STOP_AFTER (set by tests/test_tus_client.py).
'use strict';
const fs = require('fs');
const { chromium } = require('playwright-core');
const { env, login } = require('./common');

(async () => {
  const base = env('BASE_URL');
  const browser = await chromium.launch({ executablePath: env('CHROMIUM', '/usr/bin/chromium'), headless: true });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('PAGE ERROR', e.message));
    await login(page, base, env('CADRE'), env('PASSWORD'));
    await page.addScriptTag({ url: '/static/vendor/tus-js-client-4.3.1/tus.min.js' });
    const bytes = fs.readFileSync(env('FILE')).toString('base64');
    const result = await page.evaluate(async ({ bytes, chunk, stopAfter }) => {
      const raw = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
      const file = new Blob([raw], { type: 'audio/wav' });
      const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
      const sha256 = hex(await crypto.subtle.digest('SHA-256', raw));
      const csrf = (await (await fetch('/api/session')).json()).csrf_token;
      const send = (extra) => new Promise((resolve, reject) => {
        let chunks = 0;
        const upload = new tus.Upload(file, {
          endpoint: '/api/tus/', chunkSize: chunk, metadata: { filename: 'memo.wav', sha256 },
          headers: { 'X-CSRFToken': csrf }, retryDelays: [0, 100, 300, 1000], storeFingerprintForResuming: false,
          ...extra,
          onChunkComplete() {
            chunks += 1;
            if (extra.stopAfter && chunks >= extra.stopAfter) upload.abort().then(() => resolve({ url: upload.url, chunks }));
          },
          onSuccess() { resolve({ url: upload.url, chunks }); },
          onError: reject,
        });
        upload.start();
      });
      const first = await send({ stopAfter });
      const head = await fetch(first.url, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
      const resumedFrom = Number(head.headers.get('Upload-Offset'));
      const second = await send({ uploadUrl: first.url });
      const id = second.url.split('/').pop();
      const made = await fetch('/api/captures', { method: 'POST', body: JSON.stringify({ uploads: [id] }),
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf } });
      return { url: second.url, chunks: first.chunks + second.chunks, resumedFrom, capture: await made.json(),
               status: made.status };
    }, { bytes, chunk: Number(env('CHUNK')), stopAfter: Number(env('STOP_AFTER')) });
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
  }
})().catch((err) => { console.error(String((err && err.stack) || err)); process.exit(1); });
