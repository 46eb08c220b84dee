// 民心日记 · review queue and review screen. Plain JS, no build step, no dependencies.
(function () {
  'use strict';

  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const readJSON = (id) => { const el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; };

  // --- shared: dialogs, help overlay -------------------------------------------------
  function openDialog(id) {
    const d = document.getElementById(id);
    if (d && !d.open) d.showModal();
    return d;
  }
  document.addEventListener('click', (e) => {
    const opener = e.target.closest('[data-open]');
    if (opener) { e.preventDefault(); openDialog(opener.dataset.open); }
    const closer = e.target.closest('[data-close]');
    if (closer) { const d = closer.closest('dialog'); if (d) d.close(); }
  });

  const isTyping = (el) => !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  const anyDialogOpen = () => $$('dialog').some((d) => d.open);

  // Key of a shortcut, independent of keyboard layout and of Alt producing symbols (macOS).
  function keyOf(e) {
    if (e.code && e.code.startsWith('Key')) return e.code.slice(3).toLowerCase();
    return e.key;
  }

  function toggleHelp() {
    const help = document.getElementById('help');
    if (!help) return;
    if (help.open) help.close(); else help.showModal();
  }

  // --- progress of captures still recognizing ---------------------------------------
  function pollProgress(url, onReady) {
    const items = $$('[data-progress-id]');
    if (!items.length || !url) return;
    const ids = items.map((el) => el.dataset.progressId).join(',');
    const sep = url.includes('?') ? '&' : '?';
    const target = url.includes('ids=') ? url : url + sep + 'ids=' + ids;
    const tick = () => {
      fetch(target, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
        .then((data) => {
          let changed = false;
          for (const c of data.captures) {
            const el = $(`[data-progress-id="${c.id}"]`);
            if (!el) continue;
            const bar = $('progress', el); if (bar) bar.value = c.progress;
            const pct = $('.pct', el); if (pct) pct.textContent = Math.round(c.progress * 100) + '%';
            if (c.status !== 'received' && c.status !== 'recognizing') changed = true;
          }
          if (changed) onReady(); else setTimeout(tick, 2000);
        })
        .catch(() => setTimeout(tick, 5000));
    };
    setTimeout(tick, 1500);
  }

  // --- the queue ----------------------------------------------------------------------
  function initQueue(cfg) {
    const rows = $$('#queue tbody tr');
    let cur = -1;
    const select = (i) => {
      if (!rows.length) return;
      cur = Math.max(0, Math.min(rows.length - 1, i));
      rows.forEach((r, j) => r.classList.toggle('selected', j === cur));
      rows[cur].scrollIntoView({ block: 'nearest' });
      $('a', rows[cur]).focus();
    };
    rows.forEach((r, j) => r.addEventListener('click', (e) => {
      if (e.target.closest('a, .pick')) return;
      window.location.href = r.dataset.href;
    }));
    // Bulk accept: only confident captures carry a checkbox.
    const picks = $$('#queue input[name="ids"]');
    const all = $('#select-confident');
    const bulk = $('#bulk-confirm');
    const count = () => {
      const n = picks.filter((p) => p.checked).length;
      if ($('#bulk-count')) $('#bulk-count').textContent = String(n);
      if (bulk) bulk.disabled = n === 0;
      if (all) all.checked = n > 0 && n === picks.length;
    };
    picks.forEach((p) => p.addEventListener('change', count));
    if (all) all.addEventListener('change', () => { picks.forEach((p) => { p.checked = all.checked; }); count(); });
    count();
    document.addEventListener('keydown', (e) => {
      if (e.key === '?' && !isTyping(e.target)) { e.preventDefault(); toggleHelp(); return; }
      if (isTyping(e.target) || anyDialogOpen() || e.ctrlKey || e.metaKey) return;
      const k = keyOf(e);
      if (k === 'j' || e.key === 'ArrowDown') { e.preventDefault(); select(cur + 1); }
      else if (k === 'k' || e.key === 'ArrowUp') { e.preventDefault(); select(cur - 1); }
      else if (e.key === 'Enter' && cur >= 0) { e.preventDefault(); window.location.href = rows[cur].dataset.href; }
      else if (k === 'x' && cur >= 0) {
        // Tick the current row for bulk accept (only confident rows have a box).
        const box = $('input[name="ids"]', rows[cur]);
        if (box) { e.preventDefault(); box.checked = !box.checked; count(); }
      }
    });
    pollProgress(cfg.progressUrl, () => window.location.reload());
  }

  // --- the review screen --------------------------------------------------------------
  function initScreen(cfg) {
    const form = $('#entry-form');
    const transcript = $('#transcript');
    const player = $('#player');
    const pieces = cfg.pieces || [];
    const pieceEls = new Map($$('#transcript .piece').map((el) => [Number(el.dataset.i), el]));
    const boxEls = new Map();
    $$('polygon.line-box').forEach((el) => {
      const i = Number(el.dataset.i);
      if (!boxEls.has(i)) boxEls.set(i, []);
      boxEls.get(i).push(el);
    });
    let dirty = false;

    // Pages whose size the server did not know: take it from the image.
    $$('figure.page').forEach((fig) => {
      const img = $('img', fig);
      const svg = $('svg', fig);
      const fit = () => {
        if (!svg.getAttribute('viewBox') && img.naturalWidth) {
          svg.setAttribute('viewBox', `0 0 ${img.naturalWidth} ${img.naturalHeight}`);
        }
      };
      if (img.complete) fit(); else img.addEventListener('load', fit);
    });

    // Mark one piece (segment or line) as current, in the text and on the original.
    function markCurrent(i, opts) {
      $$('.piece.current, .line-box.current').forEach((el) => el.classList.remove('current'));
      if (i == null || i < 0) return;
      const el = pieceEls.get(i);
      if (el) {
        el.classList.add('current');
        if (!opts || opts.scroll !== false) el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      }
      (boxEls.get(i) || []).forEach((b) => {
        b.classList.add('current');
        if (opts && opts.scrollBox) b.closest('figure').scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      });
    }

    // Character range [start, end) in code points -> DOM Range over the transcript text.
    function rangeFor(start, end) {
      const walker = document.createTreeWalker(transcript, NodeFilter.SHOW_TEXT);
      const range = document.createRange();
      let pos = 0;
      let started = false;
      let node;
      while ((node = walker.nextNode())) {
        const units = node.data;
        let offset = 0;
        for (const ch of units) {
          if (!started && pos === start) { range.setStart(node, offset); started = true; }
          if (started && pos === end) { range.setEnd(node, offset); return range; }
          pos += 1;
          offset += ch.length;
        }
        if (!started && pos === start) { range.setStart(node, offset); started = true; }
        if (started && pos === end) { range.setEnd(node, offset); return range; }
      }
      return started ? range : null;
    }

    const hasHighlights = typeof CSS !== 'undefined' && CSS.highlights && typeof Highlight !== 'undefined';
    // The original column scrolls on its own (sticky beside the form): bring the evidence box into
    // it, without moving the page away from the field being typed in.
    const original = $('section.original');
    function keepBoxInView(box) {
      if (!original || !box || getComputedStyle(original).position !== 'sticky') return;
      const outer = original.getBoundingClientRect();
      const r = box.getBoundingClientRect();
      if (r.top >= outer.top && r.bottom <= outer.bottom) return;
      original.scrollTop += r.top - outer.top - Math.max(0, (outer.height - r.height) / 3);
    }

    function showEvidence(field) {
      $$('.evidence').forEach((el) => el.classList.remove('evidence'));
      if (hasHighlights) CSS.highlights.delete('evidence');
      const label = $('#evidence-label');
      const span = cfg.evidence[field];
      if (label) label.textContent = '';
      if (!transcript || !span || span.length !== 2 || span[1] <= span[0]) return;
      const [start, end] = span;
      let first = null;
      let firstBox = null;
      pieces.forEach((p) => {
        if (p.cs < end && p.ce > start) {
          const el = pieceEls.get(p.i);
          if (el) { el.classList.add('evidence'); first = first || el; }
          (boxEls.get(p.i) || []).forEach((b) => { b.classList.add('evidence'); firstBox = firstBox || b; });
        }
      });
      if (hasHighlights) {
        const range = rangeFor(start, end);
        if (range) CSS.highlights.set('evidence', new Highlight(range));
      }
      if (label) {
        const lab = $(`label[for="f-${field}"]`);
        label.textContent = lab ? '← ' + lab.firstChild.textContent.trim() : '';
      }
      // On a page photo the box is what the reviewer compares with; the text follows otherwise.
      if (firstBox) keepBoxInView(firstBox);
      else if (first) first.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    }

    // --- fields
    const fieldEls = $$('[data-field]', form || document).filter((el) => /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
    fieldEls.forEach((el) => {
      el.addEventListener('focus', () => {
        $$('.field.focused').forEach((f) => f.classList.remove('focused'));
        el.closest('.field').classList.add('focused');
        showEvidence(el.dataset.field);
      });
      el.addEventListener('input', () => { dirty = true; el.closest('.field').classList.add('edited'); });
      el.addEventListener('change', () => { dirty = true; el.closest('.field').classList.add('edited'); });
    });
    function focusField(step) {
      if (!fieldEls.length) return;
      // Low-confidence fields first, then the rest, in form order.
      const order = [...fieldEls.filter((el) => el.closest('.field.low')), ...fieldEls.filter((el) => !el.closest('.field.low'))];
      let i = order.indexOf(document.activeElement);
      i = i < 0 ? (step > 0 ? 0 : order.length - 1) : (i + step + order.length) % order.length;
      order[i].focus();
      if (order[i].select && order[i].type === 'text') order[i].select();
      // Reached by the shortcut, not by the reviewer: until they type or click, letters stay
      // shortcuts here (a second N moves on instead of typing "n" into the field).
      navFocused = order[i];
    }
    let navFocused = null;
    const leaveNav = () => { navFocused = null; };
    fieldEls.forEach((el) => { el.addEventListener('input', leaveNav); el.addEventListener('mousedown', leaveNav); });

    $$('[data-use-mine]').forEach((btn) => btn.addEventListener('click', () => {
      const el = $(`#f-${btn.dataset.useMine}`);
      if (el) { el.value = btn.dataset.value; el.dispatchEvent(new Event('input')); el.focus(); }
    }));

    // --- the original: segments and line boxes
    pieceEls.forEach((el, i) => el.addEventListener('click', () => {
      const p = pieces[i];
      markCurrent(i, { scroll: false, scrollBox: true });
      if (player && p && p.start != null) { player.currentTime = p.start; player.play().catch(() => {}); }
    }));
    boxEls.forEach((els, i) => els.forEach((b) => b.addEventListener('click', () => markCurrent(i))));
    if (player) {
      player.addEventListener('timeupdate', () => {
        const t = player.currentTime;
        const p = pieces.find((q) => q.start != null && t >= q.start && t < (q.end != null ? q.end : Infinity));
        const el = $('.piece.current');
        if (p && (!el || Number(el.dataset.i) !== p.i)) markCurrent(p.i);
      });
    }
    function stepPiece(step) {
      if (!pieces.length) return;
      const el = $('.piece.current');
      let i = el ? Number(el.dataset.i) + step : (step > 0 ? 0 : pieces.length - 1);
      i = Math.max(0, Math.min(pieces.length - 1, i));
      markCurrent(i, { scrollBox: true });
      if (player && pieces[i].start != null) player.currentTime = pieces[i].start;
    }
    function togglePlay() {
      if (!player) return;
      if (player.paused) player.play().catch(() => {}); else player.pause();
    }

    // --- actions
    const confirmDialog = $('#confirm-dialog');
    const btnConfirm = $('#btn-confirm');
    function syncTriage() {
      const chosen = $('input[name="triage"]:checked', confirmDialog);
      $$('.triage-more', confirmDialog).forEach((box) => { box.hidden = !chosen || box.dataset.for !== chosen.value; });
    }
    function openConfirm() {
      if (!confirmDialog) return;
      if (!confirmDialog.open) confirmDialog.showModal();
      syncTriage();
      const chosen = $('input[name="triage"]:checked', confirmDialog);
      (chosen || $('#btn-confirm-final')).focus();
    }
    // What the chosen triage needs, checked here so a refusal never costs the form.
    const confirmError = $('#confirm-error');
    function triageProblem() {
      const chosen = $('input[name="triage"]:checked', confirmDialog);
      const box = chosen && $(`.triage-more[data-for="${chosen.value}"]`, confirmDialog);
      if (!box) return null;
      for (const input of $$('input[data-required]', box)) {
        if (!input.value.trim()) return { input, text: input.dataset.required };
        if (input.type === 'date' && input.min && input.value < input.min) return { input, text: input.dataset.tooEarly };
      }
      return null;
    }
    function validTriage() {
      const problem = triageProblem();
      if (confirmError) { confirmError.hidden = !problem; confirmError.textContent = problem ? problem.text : ''; }
      if (problem) problem.input.focus();
      return !problem;
    }
    if (confirmDialog) {
      syncTriage();
      $$('input[name="triage"]', confirmDialog).forEach((r) => r.addEventListener('change', syncTriage));
      btnConfirm.addEventListener('click', (e) => { e.preventDefault(); openConfirm(); });
      $('#btn-confirm-final').addEventListener('click', (e) => { if (!validTriage()) e.preventDefault(); });
      if (cfg.openConfirm) { openConfirm(); validTriage(); }
      confirmDialog.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && e.target.tagName === 'INPUT' && e.target.type !== 'radio') {
          // Enter in a triage box confirms (the form's default button only opens this dialog).
          e.preventDefault();
          $('#btn-confirm-final').click();
          return;
        }
        if (isTyping(e.target) && e.target.type !== 'radio') return;
        const n = ['1', '2', '3', '4', '5'].indexOf(e.key);
        if (n >= 0) {
          e.preventDefault();
          const radio = $$('input[name="triage"]', confirmDialog)[n];
          radio.checked = true; radio.focus(); syncTriage();
        } else if (e.key === 'Enter' && e.target.type === 'radio') {
          e.preventDefault();
          const more = $(`.triage-more[data-for="${e.target.value}"] input`, confirmDialog);
          if (more && !more.value) more.focus(); else $('#btn-confirm-final').click();
        }
      });
    }
    if (form) form.addEventListener('submit', () => { dirty = false; });
    $$('dialog form').forEach((f) => f.addEventListener('submit', () => { dirty = false; }));
    window.addEventListener('beforeunload', (e) => { if (dirty) { e.preventDefault(); e.returnValue = ''; } });

    function go(url) { if (url) window.location.href = url; }
    function save() { if (form && $('#btn-save')) $('#btn-save').click(); }

    document.addEventListener('keydown', (e) => {
      if (e.key === '?' && !isTyping(e.target)) { e.preventDefault(); toggleHelp(); return; }
      if (anyDialogOpen()) return; // dialogs handle their own keys; Esc closes them
      if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') { e.preventDefault(); openConfirm(); return; }
      if ((e.ctrlKey || e.metaKey) && keyOf(e) === 's') { e.preventDefault(); save(); return; }
      if (e.key === 'Escape' && isTyping(e.target)) { e.target.blur(); return; }
      const typing = isTyping(e.target) && e.target !== navFocused;
      // In a text field only Alt+key works, so typing J or N stays typing.
      if (typing && !e.altKey) return;
      if (e.ctrlKey || e.metaKey) return;
      const k = keyOf(e);
      const act = {
        j: () => go(cfg.nextUrl),
        k: () => go(cfg.prevUrl),
        n: () => focusField(e.shiftKey ? -1 : 1),
        c: openConfirm,
        s: save,
        r: () => openDialog('return-dialog'),
        x: () => openDialog('reject-dialog'),
        p: togglePlay,
        ' ': togglePlay,
        ',': () => stepPiece(-1),
        '.': () => stepPiece(1),
      }[e.key === ' ' ? ' ' : (k.length === 1 ? k : e.key)];
      if (act) {
        if (e.key === ' ' && !player) return;
        e.preventDefault();
        act();
      }
    });
    // Focus the dialog's text box when it opens; Ctrl+Enter sends it.
    ['return-dialog', 'reject-dialog'].forEach((id) => {
      const d = document.getElementById(id);
      if (!d) return;
      d.addEventListener('keydown', (e) => {
        if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
          e.preventDefault();
          const f = $('form', d);
          if (f.reportValidity()) { dirty = false; f.requestSubmit(); }
        }
      });
      new MutationObserver(() => { if (d.open) { const t = $('textarea', d); if (t) t.focus(); } })
        .observe(d, { attributes: true, attributeFilter: ['open'] });
    });

    initSpanFix();

    // --- span fix (issue 25): select text in the transcript, or click a line on the photo, then
    // press a field's digit to set the field to the selection (Shift+digit appends); the
    // evidence follows and is sent with the form (span_evidence), audited with the edit.
    function initSpanFix() {
      const keys = cfg.spanKeys || {};
      const byCode = Object.fromEntries(Object.entries(keys).map(([f, k]) => ['Digit' + k, f]));
      const spansInput = $('#span-evidence');
      if (!transcript || !form || !spansInput) return;
      const fixed = {};
      // code-point offset of (node, offset) inside the transcript text, as the evidence counts
      function offsetOf(target, offset) {
        const walker = document.createTreeWalker(transcript, NodeFilter.SHOW_TEXT);
        let pos = 0;
        let node;
        while ((node = walker.nextNode())) {
          if (node === target) return pos + Array.from(node.data.slice(0, offset)).length;
          pos += Array.from(node.data).length;
        }
        return null;
      }
      function selectedSpan() {
        const sel = window.getSelection();
        if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
        const r = sel.getRangeAt(0);
        if (!transcript.contains(r.startContainer) || !transcript.contains(r.endContainer)) return null;
        let s = offsetOf(r.startContainer, r.startOffset);
        let e = offsetOf(r.endContainer, r.endOffset);
        if (s == null || e == null || e <= s) return null;
        const text = Array.from(transcript.textContent);
        while (s < e && /\s/.test(text[s])) s += 1;  // a double-click takes the spaces around
        while (e > s && /\s/.test(text[e - 1])) e -= 1;
        return e > s ? [s, e, text.slice(s, e).join('')] : null;
      }
      // a line on the photo selects its text, ready for a field's key
      $$('polygon.line-box').forEach((box) => box.addEventListener('click', () => {
        const p = pieces.find((x) => x.i === Number(box.dataset.i));
        const range = p && rangeFor(p.cs, p.ce);
        if (!range) return;
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
      }));
      document.addEventListener('keydown', (e) => {
        const field = byCode[e.code];
        if (!field || isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey || anyDialogOpen()) return;
        const got = selectedSpan();
        const el = $(`#f-${field}`);
        if (!got || !el) return;
        e.preventDefault();
        const [s, end, text] = got;
        const old = cfg.evidence[field];
        if (e.shiftKey && el.value.trim()) {
          el.value = el.value.replace(/[\s，,；;]+$/, '') + '，' + text;
          cfg.evidence[field] = old ? [Math.min(old[0], s), Math.max(old[1], end)] : [s, end];
        } else {
          el.value = text;
          cfg.evidence[field] = [s, end];
        }
        fixed[field] = cfg.evidence[field];
        spansInput.value = JSON.stringify(fixed);
        dirty = true;
        el.closest('.field').classList.add('edited');
        window.getSelection().removeAllRanges();
        showEvidence(field);
      });
    }

    if (cfg.status === 'received' || cfg.status === 'recognizing') {
      pollProgress(cfg.progressUrl, () => window.location.reload());
    }
    document.body.classList.add('js-ready');
  }

  const queueCfg = readJSON('queue-data');
  const screenCfg = readJSON('review-data');
  if (screenCfg) initScreen(screenCfg);
  else if (queueCfg) initQueue(queueCfg);
  else document.addEventListener('keydown', (e) => { if (e.key === '?' && !isTyping(e.target)) toggleHelp(); });
})();
