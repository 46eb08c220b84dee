// 民心日记 · the cadre's capture page (phone first): record a voice memo or take page photos,
// upload with progress, keep uploads in IndexedDB while offline and send them when the signal
// returns. Plain JS, no dependencies.
(function () {
  'use strict';
  const $ = (sel, root) => (root || document).querySelector(sel);
  const cfg = JSON.parse($('#capture-data').textContent);
  const T = cfg.text;
  const form = $('#upload-form');
  if (!form) return;
  const filesInput = $('#files-input');
  const cameraInput = $('#camera-input');
  const picked = $('#picked');
  const bar = $('#upload-bar');
  const msg = $('#upload-msg');
  const recBtn = $('#rec-btn');
  const recTime = $('#rec-time');
  const items = []; // {blob, name, type, url}
  let capturedAt = null;

  const csrfToken = () => (form.querySelector('input[name="csrf_token"]') || {}).value || '';
  const say = (text, cls) => { msg.textContent = text; msg.className = cls || ''; };

  // --- what the cadre picked -----------------------------------------------------------
  function render() {
    picked.textContent = '';
    items.forEach((it, i) => {
      const box = document.createElement('div');
      if (it.type.startsWith('image/')) {
        const img = document.createElement('img');
        img.src = it.url; img.alt = it.name; box.appendChild(img);
      } else {
        const a = document.createElement('audio');
        a.controls = true; a.src = it.url; box.appendChild(a);
      }
      const rm = document.createElement('button');
      rm.type = 'button'; rm.className = 'link'; rm.textContent = T.remove;
      rm.addEventListener('click', () => { URL.revokeObjectURL(it.url); items.splice(i, 1); render(); });
      box.appendChild(rm);
      picked.appendChild(box);
    });
  }
  function addFiles(list) {
    for (const f of list) items.push({ blob: f, name: f.name, type: f.type || 'application/octet-stream', url: URL.createObjectURL(f) });
    render();
  }
  filesInput.addEventListener('change', () => { addFiles(filesInput.files); filesInput.value = ''; });
  cameraInput.addEventListener('change', () => {
    if (!capturedAt) capturedAt = new Date().toISOString();
    addFiles(cameraInput.files); cameraInput.value = '';
  });

  // --- recording ------------------------------------------------------------------------
  const canRecord = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);
  let recorder = null;
  let timer = null;
  if (canRecord) recBtn.hidden = false;
  function pickType() {
    const kinds = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4', 'audio/webm'];
    return kinds.find((t) => MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(t)) || '';
  }
  function extFor(type) {
    if (type.includes('ogg')) return 'ogg';
    if (type.includes('mp4') || type.includes('aac')) return 'm4a';
    return 'webm';
  }
  recBtn.addEventListener('click', async () => {
    if (recorder && recorder.state === 'recording') { recorder.stop(); return; }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (err) {
      say(T.micDenied + (err && err.message ? err.message : err), 'flash error');
      return;
    }
    const type = pickType();
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const chunks = [];
    const started = Date.now();
    capturedAt = new Date(started).toISOString();
    recorder.addEventListener('dataavailable', (e) => { if (e.data && e.data.size) chunks.push(e.data); });
    recorder.addEventListener('stop', () => {
      stream.getTracks().forEach((t) => t.stop());
      clearInterval(timer);
      recBtn.classList.remove('recording');
      $('#rec-label').textContent = T.record;
      const mime = (recorder.mimeType || type || 'audio/webm').split(';')[0];
      const blob = new Blob(chunks, { type: mime });
      const stamp = new Date(started).toISOString().replace(/[:.]/g, '-').slice(0, 19);
      items.push({ blob, name: `memo-${stamp}.${extFor(mime)}`, type: mime, url: URL.createObjectURL(blob) });
      render();
    });
    recorder.start(1000);
    recBtn.classList.add('recording');
    $('#rec-label').textContent = T.stop;
    recTime.hidden = false;
    timer = setInterval(() => {
      const s = Math.floor((Date.now() - started) / 1000);
      recTime.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    }, 500);
  });

  // --- the outbox (IndexedDB) -----------------------------------------------------------
  const DB = 'minxin-outbox';
  function db() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('uploads', { keyPath: 'key', autoIncrement: true });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  async function tx(mode, fn) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const t = d.transaction('uploads', mode);
      const out = fn(t.objectStore('uploads'));
      t.oncomplete = () => resolve(out && 'result' in out ? out.result : undefined);
      t.onerror = () => reject(t.error);
    });
  }
  const outboxAll = () => tx('readonly', (s) => s.getAll());
  const outboxAdd = (rec) => tx('readwrite', (s) => s.add(rec));
  const outboxDel = (key) => tx('readwrite', (s) => s.delete(key));

  async function showOutbox() {
    let recs = [];
    try { recs = await outboxAll(); } catch (e) { return; }
    const box = $('#outbox');
    box.hidden = recs.length === 0;
    $('#outbox-count').textContent = recs.length;
    const ul = $('#outbox-list');
    ul.textContent = '';
    for (const r of recs) {
      const li = document.createElement('li');
      const kind = r.files.some((f) => f.type.startsWith('audio/')) ? T.audio : T.photos;
      const when = new Date(r.created);
      li.textContent = `${kind} ×${r.files.length} · ${when.toLocaleString()}`;
      const st = document.createElement('span');
      st.className = 'status waiting'; st.textContent = r.sending ? T.sending : T.waiting;
      li.appendChild(st);
      ul.appendChild(li);
    }
  }

  // --- sending --------------------------------------------------------------------------
  function buildForm(rec) {
    const fd = new FormData();
    rec.files.forEach((f) => fd.append('files', f.blob, f.name));
    if (rec.visit_date) fd.append('visit_date', rec.visit_date);
    if (rec.captured_at) fd.append('captured_at', rec.captured_at);
    return fd;
  }
  // Resolves {status, body}; status 0 when the network failed.
  function send(rec, onProgress) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', cfg.apiBase);
      xhr.setRequestHeader('X-CSRFToken', csrfToken());
      xhr.setRequestHeader('Accept', 'application/json');
      if (onProgress) xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
      xhr.onload = () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        resolve({ status: xhr.status, body });
      };
      xhr.onerror = () => resolve({ status: 0, body: null });
      xhr.ontimeout = () => resolve({ status: 0, body: null });
      xhr.send(buildForm(rec));
    });
  }
  // Kept for later: no network, server trouble, or a login/CSRF that needs a fresh page.
  const retryable = (r) => r.status === 0 || r.status >= 500 || r.status === 408 || r.status === 429 ||
    r.status === 401 || (r.status === 400 && !(r.body && r.body.error));

  async function refreshToken() {
    try {
      const html = await (await fetch(cfg.detailBase, { credentials: 'same-origin' })).text();
      const m = html.match(/name="csrf_token" type="hidden" value="([^"]+)"/) || html.match(/name="csrf_token" value="([^"]+)"/);
      if (m) form.querySelector('input[name="csrf_token"]').value = m[1];
    } catch (e) { /* offline */ }
  }

  let flushing = false;
  async function flushOutbox() {
    if (flushing || !navigator.onLine) return;
    flushing = true;
    try {
      const recs = await outboxAll();
      for (const rec of recs) {
        let r = await send(rec);
        if (r.status === 400 && !(r.body && r.body.error)) { await refreshToken(); r = await send(rec); }
        if (r.status === 201 || r.status === 409 || !retryable(r)) {
          await outboxDel(rec.key);
          if (r.status === 201) addCaptureRow(r.body);
          else if (r.body && r.body.error) say(r.body.error, 'flash error');
        } else break;
      }
    } catch (e) { /* keep for the next try */ }
    flushing = false;
    showOutbox();
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!items.length) { say(T.nothing, 'flash error'); return; }
    const rec = {
      files: items.map((it) => ({ blob: it.blob, name: it.name, type: it.type })),
      visit_date: $('#visit-date').value || '',
      captured_at: capturedAt || '',
      created: Date.now(),
    };
    const sendBtn = $('#send-btn');
    sendBtn.disabled = true;
    bar.hidden = false; bar.value = 0;
    say(T.uploading);
    const r = navigator.onLine ? await send(rec, (f) => { bar.value = f; }) : { status: 0, body: null };
    sendBtn.disabled = false;
    if (r.status === 201) {
      bar.value = 1;
      say(T.uploaded, 'flash success');
      addCaptureRow(r.body);
    } else if (retryable(r)) {
      await outboxAdd(rec);
      bar.hidden = true;
      say(T.queued, 'flash');
      showOutbox();
    } else {
      bar.hidden = true;
      say((r.body && r.body.error) || String(r.status), 'flash error');
      return; // keep the picked files so the cadre can fix and retry
    }
    items.splice(0).forEach((it) => URL.revokeObjectURL(it.url));
    capturedAt = null;
    recTime.hidden = true;
    $('#visit-date').value = '';
    render();
  });

  // --- own captures: live status --------------------------------------------------------
  function addCaptureRow(c) {
    if (!c || !c.id) return;
    const ul = $('#my-captures');
    const none = $('#no-captures'); if (none) none.remove();
    if ($(`[data-capture-id="${c.id}"]`)) return;
    const li = document.createElement('li');
    li.dataset.captureId = c.id; li.dataset.status = c.status;
    const a = document.createElement('a');
    a.href = cfg.detailBase + c.id; a.textContent = '#' + c.id;
    const kind = document.createElement('span'); kind.textContent = c.kind === 'audio' ? T.audio : T.photos;
    const st = document.createElement('span'); st.className = 'status ' + c.status; st.textContent = cfg.statusLabels[c.status] || c.status;
    const pr = document.createElement('progress'); pr.max = 1; pr.value = 0;
    li.append(a, ' ', kind, ' ', st, ' ', pr);
    ul.prepend(li);
    poll();
  }
  let polling = false;
  function poll() {
    if (polling) return;
    polling = true;
    const tick = async () => {
      const busy = Array.from(document.querySelectorAll('#my-captures [data-status="received"], #my-captures [data-status="recognizing"]'));
      if (!busy.length) { polling = false; return; }
      for (const li of busy) {
        try {
          const res = await fetch(`${cfg.apiBase}/${li.dataset.captureId}`, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
          if (!res.ok) continue;
          const c = await res.json();
          li.dataset.status = c.status;
          const st = li.querySelector('.status');
          st.className = 'status ' + c.status; st.textContent = cfg.statusLabels[c.status] || c.status;
          const pr = li.querySelector('progress');
          if (pr) { pr.value = c.progress || 0; if (c.status !== 'received' && c.status !== 'recognizing') pr.remove(); }
          if (c.error && !li.querySelector('.error')) {
            const err = document.createElement('span'); err.className = 'flash error'; err.textContent = c.error; li.appendChild(err);
          }
        } catch (e) { /* offline: try later */ }
      }
      setTimeout(tick, 3000);
    };
    setTimeout(tick, 1500);
  }

  // --- connectivity ---------------------------------------------------------------------
  const banner = $('#offline-banner');
  const onlineState = () => { banner.hidden = navigator.onLine; if (navigator.onLine) flushOutbox(); };
  window.addEventListener('online', onlineState);
  window.addEventListener('offline', onlineState);
  $('#outbox-retry').addEventListener('click', flushOutbox);
  setInterval(flushOutbox, 30000);
  onlineState();
  showOutbox();
  poll();
})();
