// The review screen's voice-memo words: click a word to hear it, F to the next flagged word,
// E (or a double click) to correct it, and a focused field plays the audio its evidence
// came from. Loaded next to review.js; reads the same #review-data.
(() => {
  'use strict';
  const LEAD = 0.3; // seconds played before a word, so its first sound is heard
  const TAIL = 0.2;
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const dataEl = document.getElementById('review-data');
  const player = document.getElementById('player');
  const transcript = document.getElementById('transcript');
  if (!dataEl || !transcript) return;
  const cfg = JSON.parse(dataEl.textContent);
  const pieces = cfg.pieces.map((p) => ({ ...p }));
  let evidence = cfg.evidence || {};
  let stopAt = null;
  const isTyping = (el) => !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  const anyDialogOpen = () => $$('dialog').some((d) => d.open);

  const words = () => $$('#transcript .word');
  function current() { return $('#transcript .word.current-word'); }
  function select(el, { play = true } = {}) {
    words().forEach((w) => w.classList.remove('current-word'));
    if (!el) return;
    el.classList.add('current-word');
    el.scrollIntoView({ block: 'nearest' });
    if (play) playFrom(el);
  }
  function playFrom(el) {
    if (!player || el.dataset.t === undefined) return;
    stopAt = null;
    player.currentTime = Math.max(0, Number(el.dataset.t) - LEAD);
    player.play().catch(() => {});
  }
  function playStretch(start, end) {
    if (!player) return;
    player.currentTime = Math.max(0, start - LEAD);
    stopAt = end + TAIL;
    player.play().catch(() => {});
  }
  if (player) {
    // A WebM from MediaRecorder has no duration in its header (Infinity: a player at 0:00).
    // Seeking far past the end makes the browser find the real end; the server's decoded
    // length (data-duration) is shown beside the player either way.
    const fixDuration = () => {
      if (Number.isFinite(player.duration)) return;
      player.addEventListener('durationchange', function back() {
        if (!Number.isFinite(player.duration)) return;
        player.removeEventListener('durationchange', back);
        player.currentTime = 0;
      });
      player.currentTime = 1e101;
    };
    if (player.readyState >= 1) fixDuration(); else player.addEventListener('loadedmetadata', fixDuration, { once: true });
    player.addEventListener('timeupdate', () => {
      if (stopAt !== null && player.currentTime >= stopAt) { player.pause(); stopAt = null; }
    });
  }

  function bind(root) {
    $$('.word', root).forEach((el) => {
      // The segment's own handler (review.js) marks the segment and seeks to its start; the
      // word's seek runs after it.
      el.addEventListener('click', () => { setTimeout(() => select(el), 0); });
      el.addEventListener('dblclick', (e) => { e.preventDefault(); e.stopPropagation(); select(el, { play: false }); edit(el); });
    });
  }
  bind(transcript);

  function stepFlagged(step) {
    const all = words();
    const flagged = all.filter((w) => w.classList.contains('flagged'));
    if (!flagged.length) return;
    const cur = current();
    let at = cur ? all.indexOf(cur) : -1;
    if (at < 0 && player) {  // from where the player is
      at = all.findIndex((w) => w.dataset.t !== undefined && Number(w.dataset.t) >= player.currentTime) - (step > 0 ? 1 : 0);
    }
    const next = step > 0
      ? flagged.find((w) => all.indexOf(w) > at) || flagged[0]
      : [...flagged].reverse().find((w) => all.indexOf(w) < at) || flagged[flagged.length - 1];
    select(next);
  }

  // --- the stretch of audio a field's evidence came from
  function stretchOf(span) {
    if (!span || span.length !== 2 || span[1] <= span[0]) return null;
    const [s, e] = span;
    let start = Infinity;
    let end = -Infinity;
    words().forEach((w) => {
      const p = pieces[Number(w.dataset.p)];
      const cs = p.cs + Number(w.dataset.cs);
      const ce = p.cs + Number(w.dataset.ce);
      if (cs < e && ce > s && w.dataset.t !== undefined) {
        start = Math.min(start, Number(w.dataset.t));
        end = Math.max(end, Number(w.dataset.te));
      }
    });
    if (start === Infinity) {  // a transcript without words: the pieces
      pieces.forEach((p) => {
        if (p.cs < e && p.ce > s && p.start != null) { start = Math.min(start, p.start); end = Math.max(end, p.end); }
      });
    }
    return start === Infinity ? null : [start, end];
  }
  $$('#entry-form [data-field]').filter((el) => /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)).forEach((el) => {
    el.addEventListener('focus', () => {
      const stretch = stretchOf(evidence[el.dataset.field]);
      if (stretch) playStretch(stretch[0], stretch[1]);
    });
  });

  // --- correcting a word
  const dialog = document.getElementById('word-dialog');
  let editing = null;
  function edit(el) {
    if (!dialog || !el) return;
    editing = el;
    $('#word-before').textContent = el.textContent;
    $('#word-text').value = el.textContent;
    $('#word-error').hidden = true;
    dialog.showModal();
    $('#word-text').select();
  }
  function csrf() { const t = $('input[name="csrf_token"]'); return t ? t.value : ''; }
  function render(piece) {
    const el = $(`#transcript .piece[data-i="${piece.i}"]`);
    if (!el) return;
    el.textContent = '';
    let pos = 0;
    (piece.words || []).forEach((w, k) => {
      if (w.char_start > pos) el.append(piece.text.slice(pos, w.char_start));
      const span = document.createElement('span');
      span.className = 'word' + (w.flagged ? ' flagged' : '') + (w.corrected_from ? ' corrected' : '');
      Object.assign(span.dataset, { p: piece.i, w: k, cs: w.char_start, ce: w.char_end });
      if (w.start != null) Object.assign(span.dataset, { t: w.start, te: w.end });
      if (w.corrected_from) { span.dataset.from = w.corrected_from; span.title = '← ' + w.corrected_from; }
      span.textContent = piece.text.slice(w.char_start, w.char_end);
      el.append(span);
      pos = w.char_end;
    });
    if (pos < piece.text.length) el.append(piece.text.slice(pos));
    bind(el);
  }
  async function save() {
    const el = editing;
    const text = $('#word-text').value.trim();
    if (!el || !text || text === el.textContent) { dialog.close(); return; }
    const body = {
      piece: Number(el.dataset.p), char_start: Number(el.dataset.cs), char_end: Number(el.dataset.ce),
      text, capture_version: Number($('input[name="capture_version"]').value),
    };
    const resp = await fetch(dialog.dataset.url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf(), Accept: 'application/json' },
      body: JSON.stringify(body),
    });
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      $('#word-error').textContent = data.error || String(resp.status);
      $('#word-error').hidden = false;
      return;
    }
    dialog.close();
    data.pieces.forEach((p) => Object.assign(pieces[p.i], { cs: p.cs, ce: p.ce }));
    evidence = data.evidence || evidence;
    cfg.evidence = evidence;
    if (data.entry_version != null) $$('input[name="entry_version"]').forEach((i) => { i.value = data.entry_version; });
    render(data.piece);
    const fixed = $(`#transcript .word[data-p="${data.word.piece}"][data-cs="${data.word.char_start}"]`)
      || $(`#transcript .piece[data-i="${data.word.piece}"] .word.corrected`);
    select(fixed, { play: false });
    const re = document.getElementById('btn-reextract');
    if (re) re.classList.add('primary-soft');
    document.body.dataset.transcriptCorrected = String(Number(document.body.dataset.transcriptCorrected || 0) + 1);
    // other parts of the screen follow the correction (review_photo_flags.js: the boxes on a photo)
    document.dispatchEvent(new CustomEvent('transcript-corrected', { detail: { word: data.word, text } }));
  }
  if (dialog) {
    dialog.addEventListener('submit', (e) => {
      if (e.submitter && e.submitter.value === 'save') { e.preventDefault(); save(); }
    });
  }

  document.addEventListener('keydown', (e) => {
    if (anyDialogOpen() || e.ctrlKey || e.metaKey) return;
    if (isTyping(e.target) && !e.altKey) return;
    const k = e.code && e.code.startsWith('Key') ? e.code.slice(3).toLowerCase() : e.key;
    if (k === 'f') { e.preventDefault(); stepFlagged(e.shiftKey ? -1 : 1); }
    else if (k === 'e' && current()) { e.preventDefault(); edit(current()); }
  });
})();
