// The review screen's unsure characters on a photo (a page capture): each flagged character
// of the text (review_audio.js marks it, F / Shift+F step through them) has its box on the
// photo; the box of the current one is highlighted and brought into view, a click on a box
// selects its character in the text, and a corrected character's box is marked done.
// Kept apart from review.js / review_audio.js: it only listens.
(() => {
  'use strict';
  const transcript = document.getElementById('transcript');
  if (!transcript || !document.querySelector('polygon.char-flag')) return;
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const boxes = () => $$('polygon.char-flag');
  const boxFor = (p, cs) => boxes().find((b) => b.dataset.p === String(p) && b.dataset.cs === String(cs));

  function showCurrent() {
    const word = transcript.querySelector('.word.current-word');
    boxes().forEach((b) => b.classList.remove('current'));
    if (!word) return;
    const box = boxFor(word.dataset.p, word.dataset.cs);
    if (!box) return;
    box.classList.add('current');
    const fig = box.closest('figure');
    if (fig) fig.scrollIntoView({ block: 'nearest' });
  }
  new MutationObserver(showCurrent).observe(transcript, { subtree: true, attributes: true, attributeFilter: ['class'] });

  boxes().forEach((b) => {
    b.addEventListener('click', (e) => {
      e.stopPropagation();
      const word = transcript.querySelector(`.word[data-p="${b.dataset.p}"][data-cs="${b.dataset.cs}"]`);
      if (word) word.click();
    });
  });

  // A correction of [cs, cs + before) in piece p: its boxes are done, later ones move.
  document.addEventListener('transcript-corrected', (e) => {
    const w = e.detail && e.detail.word;
    if (!w || w.corrected_from == null) return;
    const end = w.char_start + w.corrected_from.length;
    const delta = w.text.length - w.corrected_from.length;
    boxes().filter((b) => b.dataset.p === String(w.piece)).forEach((b) => {
      const cs = Number(b.dataset.cs);
      if (cs >= w.char_start && cs < end) {
        b.classList.add('fixed');
        b.dataset.cs = String(w.char_start);
      } else if (cs >= end) {
        b.dataset.cs = String(cs + delta);
        b.dataset.ce = String(Number(b.dataset.ce) + delta);
      }
    });
    showCurrent();
  });
})();
