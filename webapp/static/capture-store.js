// 民心日记 · what the capture page keeps on the phone (IndexedDB), so nothing is lost to a
// reload, a crashed tab or a locked phone:
//   drafts  - what the cadre picked or recorded and has not sent yet (a photo is kept the moment
//             it is picked; a recording as soon as it starts, state 'recording' until stopped);
//   chunks  - the pieces of a recording, written as MediaRecorder hands them over (timeslice);
//   uploads - the outbox: what was sent off and waits for the network, with its
//             blobs, written once;
//   progress - per outbox record, each file's SHA-256, resumable-upload id and how far it got
//             (small, rewritten after every chunk without copying the blobs again).
(function () {
  'use strict';
  const NAME = 'minxin-outbox';
  const VERSION = 2;
  let opened = null;

  function open() {
    if (opened) return opened;
    opened = new Promise((resolve, reject) => {
      const req = indexedDB.open(NAME, VERSION);
      req.onupgradeneeded = () => {
        const d = req.result;
        if (!d.objectStoreNames.contains('uploads')) d.createObjectStore('uploads', { keyPath: 'key', autoIncrement: true });
        if (!d.objectStoreNames.contains('drafts')) d.createObjectStore('drafts', { keyPath: 'id', autoIncrement: true });
        if (!d.objectStoreNames.contains('progress')) d.createObjectStore('progress', { keyPath: 'key' });
        if (!d.objectStoreNames.contains('chunks')) {
          d.createObjectStore('chunks', { keyPath: 'key', autoIncrement: true }).createIndex('draft', 'draft');
        }
      };
      req.onsuccess = () => {
        req.result.onversionchange = () => { req.result.close(); opened = null; };
        resolve(req.result);
      };
      req.onerror = () => { opened = null; reject(req.error); };
      req.onblocked = () => { opened = null; reject(new Error('IndexedDB blocked')); };
    });
    return opened;
  }

  // Runs fn(stores) in one transaction over `names`; resolves with what fn returned (a request's
  // result is read once the transaction completed).
  async function tx(names, mode, fn) {
    const d = await open();
    return new Promise((resolve, reject) => {
      const t = d.transaction(names, mode);
      const stores = {};
      for (const n of [].concat(names)) stores[n] = t.objectStore(n);
      const out = fn(stores);
      t.oncomplete = () => resolve(out && typeof out === 'object' && 'readyState' in out ? out.result : out);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error || new Error('transaction aborted'));
    });
  }

  const all = (store) => tx(store, 'readonly', (s) => s[store].getAll());
  const get = (store, key) => tx(store, 'readonly', (s) => s[store].get(key));
  const put = (store, value) => tx(store, 'readwrite', (s) => s[store].put(value));
  const del = (store, key) => tx(store, 'readwrite', (s) => s[store].delete(key));

  const addChunk = (draft, seq, blob) => tx('chunks', 'readwrite', (s) => s.chunks.add({ draft, seq, blob }));
  async function chunksOf(draft) {
    const rows = await tx('chunks', 'readonly', (s) => s.chunks.index('draft').getAll(draft));
    return rows.sort((a, b) => a.seq - b.seq);
  }
  // The recording becomes one blob in its draft, and its pieces go, in one transaction.
  async function sealRecording(draft) {
    const rows = await chunksOf(draft.id);
    const blob = new Blob(rows.map((r) => r.blob), { type: draft.type });
    const sealed = Object.assign({}, draft, { blob, size: blob.size, state: 'ready' });
    await tx(['drafts', 'chunks'], 'readwrite', (s) => {
      s.drafts.put(sealed);
      for (const r of rows) s.chunks.delete(r.key);
    });
    return sealed;
  }
  // Drafts become one outbox record, in one transaction: never in both, never in neither.
  function queue(record, draftIds) {
    return tx(['uploads', 'drafts'], 'readwrite', (s) => {
      const req = s.uploads.add(record);
      for (const id of draftIds) s.drafts.delete(id);
      return req;
    });
  }

  const done = (key) => tx(['uploads', 'progress'], 'readwrite', (s) => { s.uploads.delete(key); s.progress.delete(key); });

  window.MinxinStore = { done, open, all, get, put, del, addChunk, chunksOf, sealRecording, queue };
})();
