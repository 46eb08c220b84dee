// 民心日记 · the cadre's capture page (phone first), offline-first:
// - what is picked or recorded is kept in IndexedDB at once (capture-store.js): a photo when it
//   is picked, a recording piece by piece while it is recorded; a reload keeps both;
// - photos are shrunk to what the recognizer needs (long side cfg.photoLongSide, JPEG q 0.85,
//   the EXIF date kept and the orientation applied), memos are recorded as Opus at a speech bitrate;
// - "上传" moves the items into the outbox, which sends each file in checked chunks that resume
//   where a dropped connection left them (docs/UPLOADS.md), with growing pauses between tries;
// - the service worker (/capture/sw.js) lets the page open with no signal after one visit.
// Plain JS, no dependencies.
(function () {
  'use strict';
  const $ = (sel, root) => (root || document).querySelector(sel);
  const cfg = JSON.parse($('#capture-data').textContent);
  const T = cfg.text;
  const store = window.MinxinStore;
  const form = $('#upload-form');
  if (!form || !store) return;
  const filesInput = $('#files-input');
  const cameraInput = $('#camera-input');
  const audioInput = $('#audio-input');
  const picked = $('#picked');
  const bar = $('#upload-bar');
  const msg = $('#upload-msg');
  const recBtn = $('#rec-btn');
  const recTime = $('#rec-time');
  let items = []; // drafts shown: {id, blob, name, type, size, state, captured_at, url}
  let csrf = (form.querySelector('input[name="csrf_token"]') || {}).value || '';
  let signedInAs = cfg.userId; // who the server says is signed in (the queue is per phone, not per cadre)

  const say = (text, cls) => { msg.textContent = text; msg.className = cls || ''; };
  const sizeText = (n) => (n >= 1048576 ? (n / 1048576).toFixed(1) + ' MB' : Math.max(1, Math.round(n / 1024)) + ' KB');
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  if ('serviceWorker' in navigator && cfg.serviceWorker) {
    navigator.serviceWorker.register(cfg.serviceWorker, { scope: cfg.detailBase }).catch(() => { /* no offline copy */ });
  }

  // --- what the cadre picked (drafts) ---------------------------------------------------
  function render() {
    picked.textContent = '';
    items.forEach((it) => {
      const box = document.createElement('div');
      box.className = 'draft';
      box.dataset.draftId = it.id;
      if (!it.url && it.blob) it.url = URL.createObjectURL(it.blob);
      if (it.type.startsWith('image/')) {
        const img = document.createElement('img');
        img.src = it.url; img.alt = it.name; box.appendChild(img);
      } else if (it.state === 'recording') {
        box.appendChild(document.createTextNode(T.recording));
      } else {
        const a = document.createElement('audio');
        a.controls = true; a.src = it.url; box.appendChild(a);
      }
      const info = document.createElement('span');
      info.className = 'muted size';
      info.textContent = (it.recovered ? T.recovered + ' · ' : '') + sizeText(it.size || 0) +
        (it.originalSize && it.originalSize > it.size ? ` (${T.shrunk} ${sizeText(it.originalSize)})` : '');
      box.appendChild(info);
      if (it.state !== 'recording') {
        const rm = document.createElement('button');
        rm.type = 'button'; rm.className = 'link'; rm.textContent = T.remove;
        rm.addEventListener('click', async () => {
          await store.del('drafts', it.id);
          if (it.url) URL.revokeObjectURL(it.url);
          items = items.filter((x) => x.id !== it.id);
          render();
        });
        box.appendChild(rm);
      }
      picked.appendChild(box);
    });
  }
  async function keepDraft(d) {
    d.id = await store.put('drafts', d);
    items.push(d);
    render();
    return d;
  }
  async function replaceDraft(d, changes) {
    Object.assign(d, changes);
    if (d.url) { URL.revokeObjectURL(d.url); d.url = null; }
    const { url, ...row } = d; // eslint-disable-line no-unused-vars
    await store.put('drafts', row);
    render();
  }

  async function addFiles(list, capturedAt) {
    for (const f of Array.from(list)) {
      const type = f.type || 'application/octet-stream';
      // Kept as picked first: shrinking takes a moment and the page may be closed meanwhile.
      const d = await keepDraft({ blob: f, name: f.name || 'photo.jpg', type, size: f.size, state: 'ready',
        captured_at: capturedAt || '', created: Date.now() });
      if (type.startsWith('image/')) {
        try {
          const small = await shrinkPhoto(f, cfg.photoLongSide, cfg.photoQuality);
          if (small) await replaceDraft(d, { blob: small, type: 'image/jpeg', size: small.size, originalSize: f.size,
            name: d.name.replace(/\.[^.]*$/, '') + '.jpg' });
        } catch (e) { /* undecodable here (HEIC...): sent as taken, the server reads it */ }
      }
    }
  }
  filesInput.addEventListener('change', async () => { const fl = Array.from(filesInput.files); filesInput.value = ''; await addFiles(fl); });
  cameraInput.addEventListener('change', async () => {
    const fl = Array.from(cameraInput.files); cameraInput.value = '';
    await addFiles(fl, new Date().toISOString());
  });
  if (audioInput) audioInput.addEventListener('change', async () => {
    const fl = Array.from(audioInput.files); audioInput.value = '';
    await addFiles(fl, new Date().toISOString());
  });

  // --- photos: shrink to what the recognizer needs, keep the EXIF date -----------------
  // The APP1 (EXIF) segment of a JPEG, or null.
  function exifSegment(buf) {
    const v = new DataView(buf);
    if (v.byteLength < 4 || v.getUint16(0) !== 0xFFD8) return null;
    let p = 2;
    while (p + 4 <= v.byteLength) {
      const marker = v.getUint16(p);
      if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) return null;
      const len = v.getUint16(p + 2);
      if (marker === 0xFFE1 && v.getUint32(p + 4) === 0x45786966) return new Uint8Array(buf.slice(p, p + 2 + len));
      p += 2 + len;
    }
    return null;
  }
  // The pixels are drawn upright, so the copied EXIF must say orientation 1 (normal).
  function setOrientationNormal(seg) {
    const v = new DataView(seg.buffer, seg.byteOffset, seg.byteLength);
    const tiff = 10;
    const little = v.getUint16(tiff) === 0x4949;
    const ifd = tiff + v.getUint32(tiff + 4, little);
    if (ifd + 2 > v.byteLength) return;
    const n = v.getUint16(ifd, little);
    for (let i = 0; i < n; i++) {
      const e = ifd + 2 + i * 12;
      if (e + 12 > v.byteLength) return;
      if (v.getUint16(e, little) === 0x0112) v.setUint16(e + 8, 1, little);
    }
  }
  async function shrinkPhoto(file, longSide, quality) {
    if (!longSide || !window.createImageBitmap) return null;
    const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const scale = Math.min(1, longSide / Math.max(bmp.width, bmp.height));
    if (scale === 1 && file.type === 'image/jpeg' && file.size < 1.5 * 1048576) { bmp.close(); return null; }
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bmp.width * scale); canvas.height = Math.round(bmp.height * scale);
    const g = canvas.getContext('2d');
    g.imageSmoothingQuality = 'high';
    g.drawImage(bmp, 0, 0, canvas.width, canvas.height);
    bmp.close();
    const out = await new Promise((r) => canvas.toBlob(r, 'image/jpeg', quality || 0.85));
    if (!out) return null;
    let blob = out;
    if (file.type === 'image/jpeg') {
      const seg = exifSegment(await file.slice(0, 256 * 1024).arrayBuffer());
      if (seg) {
        setOrientationNormal(seg);
        // SOI, the original EXIF, then the canvas's JPEG without its own SOI.
        blob = new Blob([out.slice(0, 2), seg, out.slice(2)], { type: 'image/jpeg' });
      }
    }
    return blob.size < file.size ? blob : null;
  }

  // --- recording: every piece goes to IndexedDB as it is recorded ------------------------
  const canRecord = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);
  let recorder = null;
  let timer = null;
  if (canRecord) recBtn.hidden = false;
  else if ($('#audio-fallback')) $('#audio-fallback').hidden = false; // in-app browsers: the phone's recorder
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
    const options = type ? { mimeType: type } : {};
    if (type.includes('opus') && cfg.opusBitrate) options.audioBitsPerSecond = cfg.opusBitrate;
    recorder = new MediaRecorder(stream, options);
    const started = Date.now();
    const mime = (recorder.mimeType || type || 'audio/webm').split(';')[0];
    const stamp = new Date(started).toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const draft = await keepDraft({ blob: null, name: `memo-${stamp}.${extFor(mime)}`, type: mime, size: 0,
      state: 'recording', captured_at: new Date(started).toISOString(), created: started });
    let seq = 0;
    let writes = Promise.resolve();
    recorder.addEventListener('dataavailable', (e) => {
      if (!e.data || !e.data.size) return;
      const n = seq++;
      draft.size += e.data.size;
      writes = writes.then(() => store.addChunk(draft.id, n, e.data)).catch((err) => say(String(err), 'flash error'));
      const info = $(`[data-draft-id="${draft.id}"] .size`);
      if (info) info.textContent = sizeText(draft.size);
    });
    recorder.addEventListener('stop', async () => {
      stream.getTracks().forEach((t) => t.stop());
      clearInterval(timer);
      recBtn.classList.remove('recording');
      $('#rec-label').textContent = T.record;
      await writes;
      const sealed = await store.sealRecording(draft);
      Object.assign(draft, sealed);
      render();
    });
    recorder.start(cfg.recordSliceMs || 1000);
    recBtn.classList.add('recording');
    $('#rec-label').textContent = T.stop;
    recTime.hidden = false;
    timer = setInterval(() => {
      const s = Math.floor((Date.now() - started) / 1000);
      recTime.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    }, 500);
  });

  // The phone locking or the cadre switching apps: hand over the piece recorded so far now.
  const flushPiece = () => { if (recorder && recorder.state === 'recording') recorder.requestData(); };
  document.addEventListener('visibilitychange', () => { if (document.hidden) flushPiece(); });
  window.addEventListener('pagehide', flushPiece);

  // A recording cut off by a reload, a crashed tab or a locked phone: its pieces are sealed into
  // one memo (the pieces of a timesliced recording concatenate into a playable file).
  async function restoreDrafts() {
    const rows = await store.all('drafts');
    for (const d of rows) {
      if (d.state === 'recording') {
        const sealed = await store.sealRecording(d);
        if (!sealed.size) { await store.del('drafts', d.id); continue; }
        items.push(Object.assign(sealed, { recovered: true }));
      } else {
        items.push(d);
      }
    }
    render();
  }

  // --- sending: resumable uploads ---------------------------------------------------------
  const canResume = !!(window.crypto && crypto.subtle && window.fetch && window.tus && tus.isSupported);
  async function sha256(blob) {
    const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  }
  class Offline extends Error {}
  class SignIn extends Error {}
  class OtherUser extends Error {}
  class Refused extends Error { constructor(m, body) { super(m); this.body = body; } }

  // One request; resolves {status, body}; status 0 when the network failed.
  function request(method, url, body, headers, onProgress) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader('Accept', 'application/json');
      if (method !== 'GET') xhr.setRequestHeader('X-CSRFToken', csrf);
      for (const [k, v] of Object.entries(headers || {})) xhr.setRequestHeader(k, v);
      if (onProgress) xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded));
      xhr.onload = () => {
        let parsed = null;
        try { parsed = JSON.parse(xhr.responseText); } catch (e) { parsed = null; }
        resolve({ status: xhr.status, body: parsed });
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = () => resolve({ status: 0, body: null });
      xhr.send(body === undefined ? null : body);
    });
  }
  const transient = (r) => r.status === 0 || r.status >= 500 || r.status === 408 || r.status === 429;
  // Tried again with growing pauses while the network is flaky; an answer that will not change
  // (refused, signed out) is thrown.
  async function withRetry(fn) {
    for (let attempt = 0; ; attempt++) {
      if (!navigator.onLine) throw new Offline();
      const r = await fn();
      if (r.status === 401) throw new SignIn();
      if (r.status === 400 && r.body && r.body.code === 'csrf') { await refreshSession(); continue; }
      if (!transient(r)) return r;
      if (attempt >= 6) throw new Offline();
      await sleep(Math.min(30000, 1000 * 2 ** attempt) * (0.75 + Math.random() / 2));
    }
  }
  async function refreshSession() {
    const r = await request('GET', cfg.sessionUrl);
    if (r.status === 401) throw new SignIn();
    if (r.status !== 200 || !r.body) throw new Offline();
    csrf = r.body.csrf_token;
    signedInAs = r.body.user_id;
    const field = form.querySelector('input[name="csrf_token"]');
    if (field) field.value = csrf;
    $('#signin-banner').hidden = true;
  }

  // How far each file of an outbox record got, kept apart from its blobs.
  const saveProgress = (rec) => store.put('progress', { key: rec.key, error: rec.error || null,
    files: rec.files.map((f) => ({ sha256: f.sha256 || null, upload: f.upload || null, offset: f.offset || 0, chunk: f.chunk || 0 })) });
  async function loadOutbox() {
    const recs = await store.all('uploads');
    const prog = {};
    for (const p of await store.all('progress')) prog[p.key] = p;
    for (const r of recs) {
      const p = prog[r.key];
      if (!p) continue;
      r.error = p.error || null;
      p.files.forEach((pf, i) => { if (r.files[i]) Object.assign(r.files[i], pf); });
    }
    return recs;
  }

  // One file through tus 1.0 (/api/tus/, docs/UPLOADS.md) with tus-js-client, the maintained
  // client: the upload's id and how far it got are kept in the outbox (IndexedDB), so a reload,
  // a crashed tab or a day offline continues from where the server stands.
  const tusStatus = (err) => (err && err.originalResponse ? err.originalResponse.getStatus() : 0);
  const tusBody = (err) => {
    try { return JSON.parse(err.originalResponse.getBody()); } catch (e) { return null; }
  };
  function tusSend(rec, f, onBytes) {
    return new Promise((resolve) => {
      const upload = new tus.Upload(f.blob, {
        endpoint: cfg.tusUrl,
        uploadUrl: f.upload ? cfg.tusUrl + f.upload : null,
        chunkSize: f.chunk || 262144,
        metadata: { filename: f.name, sha256: f.sha256 },
        headers: { 'X-CSRFToken': csrf },
        // Tried again with growing pauses while the network is flaky (also 423: a try of this
        // chunk is still being written on the server).
        retryDelays: [1000, 2000, 4000, 8000, 16000, 30000],
        storeFingerprintForResuming: false, // the outbox keeps the upload's URL itself
        onUploadUrlAvailable() { f.upload = upload.url.split('/').pop(); saveProgress(rec); },
        onChunkComplete(_size, accepted) {
          f.upload = upload.url.split('/').pop(); f.offset = accepted; saveProgress(rec);
        },
        onProgress(sent) { onBytes(sent); },
        onSuccess() { f.upload = upload.url.split('/').pop(); f.offset = f.blob.size; resolve(null); },
        onError(err) { resolve(err); },
      });
      upload.start();
    });
  }
  async function sendFile(rec, f, onBytes) {
    if (!f.sha256) { f.sha256 = await sha256(f.blob); await saveProgress(rec); }
    for (let attempt = 0; ; attempt++) {
      if (!navigator.onLine) throw new Offline();
      const err = await tusSend(rec, f, onBytes);
      if (!err) { await saveProgress(rec); return; }
      const status = tusStatus(err);
      const body = tusBody(err);
      if (status === 401) throw new SignIn();
      if (status === 400 && body && body.code === 'csrf') { await refreshSession(); continue; }
      if (status === 404 || (status === 400 && body && body.code === 'file_corrupt')) {
        // Expired there, or the whole did not hash right: start the file again.
        f.upload = null; f.offset = 0; await saveProgress(rec); continue;
      }
      if (status === 0 || status >= 500 || status === 408 || status === 423 || status === 429 || status === 409) {
        if (attempt >= 3) throw new Offline();
        await sleep(Math.min(30000, 1000 * 2 ** attempt) * (0.75 + Math.random() / 2));
        continue;
      }
      throw new Refused((body && body.error) || String(status), body);
    }
  }

  // Resolves {status, body} like the server's answer to the capture.
  async function sendRecord(rec, onProgress) {
    const total = rec.files.reduce((n, f) => n + f.blob.size, 0);
    await refreshSession();
    // Queued by another cadre on this phone: it waits for them to sign in.
    if (rec.user && rec.user !== signedInAs) throw new OtherUser();
    if (!canResume) return legacySend(rec, onProgress);
    let done = 0;
    for (const f of rec.files) {
      const before = done;
      await sendFile(rec, f, (n) => onProgress((before + n) / total));
      done += f.blob.size;
    }
    const r = await withRetry(() => request('POST', cfg.apiBase, JSON.stringify({
      uploads: rec.files.map((f) => f.upload), visit_date: rec.visit_date, captured_at: rec.captured_at,
    }), { 'Content-Type': 'application/json' }));
    return r;
  }
  // Browsers without crypto.subtle (plain http): one multipart request, as before.
  async function legacySend(rec, onProgress) {
    const fd = new FormData();
    rec.files.forEach((f) => fd.append('files', f.blob, f.name));
    if (rec.visit_date) fd.append('visit_date', rec.visit_date);
    if (rec.captured_at) fd.append('captured_at', rec.captured_at);
    const total = rec.files.reduce((n, f) => n + f.blob.size, 0);
    return withRetry(() => request('POST', cfg.apiBase, fd, {}, (n) => onProgress(n / total)));
  }

  // --- the outbox -------------------------------------------------------------------------
  const progressOf = {}; // record key -> fraction sent, while sending
  async function showOutbox() {
    let recs = [];
    try { recs = await loadOutbox(); } catch (e) { return; }
    // Refused records (a final 4xx answer) are listed apart: they are not waiting for anything.
    const waiting = recs.filter((r) => !r.error), refused = recs.filter((r) => r.error);
    $('#outbox').hidden = waiting.length === 0;
    $('#outbox-count').textContent = waiting.length;
    $('#refused').hidden = refused.length === 0;
    $('#refused-count').textContent = refused.length;
    $('#outbox-list').textContent = '';
    $('#refused-list').textContent = '';
    for (const r of recs) {
      const ul = r.error ? $('#refused-list') : $('#outbox-list');
      const li = document.createElement('li');
      li.dataset.outboxKey = r.key;
      const kind = r.files.some((f) => f.type.startsWith('audio/')) ? T.audio : T.photos;
      const size = r.files.reduce((n, f) => n + f.blob.size, 0);
      const sent = r.files.reduce((n, f) => n + Math.min(f.offset || 0, f.blob.size), 0);
      const when = new Date(r.created);
      li.append(`${kind} ×${r.files.length} · ${sizeText(size)} · ${when.toLocaleString()}`);
      const st = document.createElement('span');
      const frac = r.key in progressOf ? progressOf[r.key] : sent / size;
      if (r.user && r.user !== signedInAs) { st.className = 'status waiting'; st.textContent = T.otherUser; }
      else if (r.error) { st.className = 'status failed'; st.textContent = T.refused + r.error; }
      else if (r.key in progressOf) { st.className = 'status recognizing'; st.textContent = `${T.sending} ${Math.round(frac * 100)}%`; }
      else { st.className = 'status waiting'; st.textContent = T.waiting + (sent ? ` ${Math.round(frac * 100)}%` : ''); }
      li.appendChild(st);
      if (r.error) {
        const rm = document.createElement('button');
        rm.type = 'button'; rm.className = 'link'; rm.textContent = T.remove;
        rm.addEventListener('click', async () => { await store.done(r.key); showOutbox(); });
        li.appendChild(rm);
      }
      ul.appendChild(li);
    }
  }

  let flushing = false;
  async function flushOutbox() {
    if (flushing || !navigator.onLine) return;
    flushing = true;
    let sent = false;
    try {
      const recs = await loadOutbox();
      for (const rec of recs) {
        if (rec.error) continue; // refused: shown until the cadre removes it
        progressOf[rec.key] = 0;
        showOutbox();
        let r;
        try {
          r = await sendRecord(rec, (f) => { progressOf[rec.key] = f; updateProgress(rec.key, f); });
        } catch (e) {
          delete progressOf[rec.key];
          if (e instanceof OtherUser) continue;
          if (e instanceof Refused) {
            rec.error = e.message; await saveProgress(rec); say(e.message, 'flash error');
            continue;
          }
          throw e;
        }
        delete progressOf[rec.key];
        if (r.status === 201 || r.status === 200) {
          await store.done(rec.key);
          say(`${T.sent} #${r.body.id}`, 'flash success');
          addCaptureRow(r.body);
          sent = true;
        } else {
          rec.error = (r.body && r.body.error) || String(r.status);
          await saveProgress(rec);
          say(rec.error, 'flash error');
        }
      }
    } catch (e) {
      if (e instanceof SignIn) $('#signin-banner').hidden = false; // the queue stays
      else if (!(e instanceof Offline)) say(String(e && e.message ? e.message : e), 'flash error');
    } finally {
      flushing = false;
      bar.hidden = true;
      showOutbox();
      if (sent) refreshList(); // and the service worker's copy of the list with it
    }
  }
  function updateProgress(k, f) {
    bar.hidden = false; bar.value = f;
    const st = $(`[data-outbox-key="${k}"] .status`);
    if (st) st.textContent = `${T.sending} ${Math.round(f * 100)}%`;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const ready = items.filter((it) => it.state !== 'recording' && it.blob);
    if (!ready.length) { say(T.nothing, 'flash error'); return; }
    say(navigator.onLine ? T.uploading : T.queued, navigator.onLine ? '' : 'flash');
    // One memo per capture; the page photos together, as one entry's pages.
    const groups = ready.filter((it) => !it.type.startsWith('image/')).map((it) => [it]);
    const photos = ready.filter((it) => it.type.startsWith('image/'));
    if (photos.length) groups.push(photos);
    for (const group of groups) {
      const rec = {
        files: group.map((it) => ({ blob: it.blob, name: it.name, type: it.type })),
        visit_date: $('#visit-date').value || '',
        captured_at: (group.find((it) => it.captured_at) || {}).captured_at || '',
        created: Date.now(),
        user: cfg.userId,
      };
      await store.queue(rec, group.map((it) => it.id));
    }
    ready.forEach((it) => { if (it.url) URL.revokeObjectURL(it.url); });
    items = items.filter((it) => !ready.includes(it));
    recTime.hidden = true;
    $('#visit-date').value = '';
    render();
    await showOutbox();
    await flushOutbox();
    if ((await loadOutbox()).some((r) => !r.error) && !msg.className.includes('error')) say(T.queued, 'flash');
  });

  // --- own captures: the list (kept by the service worker) and live status ----------------
  function addCaptureRow(c) {
    if (!c || !c.id) return;
    const ul = $('#my-captures');
    const none = $('#no-captures'); if (none) none.remove();
    if ($(`#my-captures [data-capture-id="${c.id}"]`)) return;
    const li = document.createElement('li');
    li.dataset.captureId = c.id; li.dataset.status = c.status;
    const a = document.createElement('a');
    a.href = cfg.detailBase + c.id; a.textContent = '#' + c.id;
    const kind = document.createElement('span'); kind.textContent = c.kind === 'audio' ? T.audio : T.photos;
    const st = document.createElement('span'); st.className = 'status ' + c.status; st.textContent = cfg.statusLabels[c.status] || c.status;
    li.append(a, ' ', kind, ' ', st);
    if (c.status === 'received' || c.status === 'recognizing') {
      const pr = document.createElement('progress'); pr.max = 1; pr.value = c.progress || 0; li.append(' ', pr);
    }
    ul.prepend(li);
    poll();
  }
  // The list as the server (or, offline, the service worker's copy of it) has it now.
  async function refreshList() {
    try {
      const res = await fetch(cfg.apiBase, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (!res.ok) return;
      const body = await res.json();
      for (const c of (body.captures || []).slice().reverse()) {
        const li = $(`#my-captures [data-capture-id="${c.id}"]`);
        if (!li) addCaptureRow(c);
        else if (li.dataset.status !== c.status) setStatus(li, c);
      }
    } catch (e) { /* neither network nor copy */ }
  }
  function setStatus(li, c) {
    li.dataset.status = c.status;
    const st = li.querySelector('.status');
    st.className = 'status ' + c.status; st.textContent = cfg.statusLabels[c.status] || c.status;
    const pr = li.querySelector('progress');
    if (pr) { pr.value = c.progress || 0; if (c.status !== 'received' && c.status !== 'recognizing') pr.remove(); }
    if (c.error && !li.querySelector('.error')) {
      const err = document.createElement('span'); err.className = 'flash error'; err.textContent = c.error; li.appendChild(err);
    }
  }
  let polling = false;
  function poll() {
    if (polling) return;
    polling = true;
    const tick = async () => {
      const busy = Array.from(document.querySelectorAll('#my-captures [data-status="received"], #my-captures [data-status="recognizing"]'));
      if (!busy.length || !navigator.onLine) { polling = false; return; }
      for (const li of busy) {
        try {
          const res = await fetch(`${cfg.apiBase}/${li.dataset.captureId}`, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
          if (res.ok) setStatus(li, await res.json());
        } catch (e) { /* offline: try later */ }
      }
      setTimeout(tick, 3000);
    };
    setTimeout(tick, 1500);
  }

  // --- connectivity ---------------------------------------------------------------------
  const banner = $('#offline-banner');
  const onlineState = () => {
    banner.hidden = navigator.onLine;
    if (navigator.onLine) { flushOutbox(); refreshList(); poll(); }
  };
  window.addEventListener('online', onlineState);
  window.addEventListener('offline', onlineState);
  $('#outbox-retry').addEventListener('click', async () => {
    for (const r of await loadOutbox()) if (r.error) { r.error = null; await saveProgress(r); }
    flushOutbox();
  });
  setInterval(flushOutbox, 30000);
  restoreDrafts().catch((e) => say(String(e), 'flash error'));
  showOutbox();
  onlineState();
  if (!navigator.onLine) refreshList();
})();
