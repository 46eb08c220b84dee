// 公开审核: marks in the original are what the public will not see; select text to mask more,
// click a mark to unmask it. The masks go to the server, which renders the public text again.
(function () {
  "use strict";
  var dataEl = document.getElementById("publish-data");
  if (!dataEl) return;
  var fields = JSON.parse(dataEl.textContent).fields;
  var state = {};
  fields.forEach(function (f) {
    state[f.field] = { original: f.original, masks: f.masks.map(function (m) { return m.slice(); }) };
  });

  function maskText(m, text) {
    if (m[3]) return m[3];
    return text.slice(m[0], m[1]).replace(/\S/g, "＊");
  }

  function render(field) {
    var s = state[field], orig = document.getElementById("original-" + field),
        pub = document.getElementById("public-" + field);
    s.masks.sort(function (a, b) { return a[0] - b[0]; });
    orig.textContent = "";
    var pos = 0, shown = "";
    s.masks.forEach(function (m, i) {
      orig.appendChild(textSpan(s.original.slice(pos, m[0]), pos));
      var mark = document.createElement("mark");
      mark.textContent = s.original.slice(m[0], m[1]);
      mark.dataset.offset = String(m[0]);
      mark.dataset.index = String(i);
      mark.title = "点击取消遮盖 (click to unmask)";
      mark.className = "pii pii-" + m[2];
      mark.addEventListener("click", function () {
        s.masks.splice(i, 1);
        render(field);
      });
      orig.appendChild(mark);
      shown += s.original.slice(pos, m[0]) + maskText(m, s.original);
      pos = m[1];
    });
    orig.appendChild(textSpan(s.original.slice(pos), pos));
    shown += s.original.slice(pos);
    pub.textContent = shown;
    sync();
  }

  function textSpan(text, offset) {
    var span = document.createElement("span");
    span.textContent = text;
    span.dataset.offset = String(offset);
    return span;
  }

  function offsetOf(node, off) {
    var el = node.nodeType === 3 ? node.parentNode : node;
    if (!el || !el.dataset || el.dataset.offset === undefined) return null;
    return Number(el.dataset.offset) + (node.nodeType === 3 ? off : 0);
  }

  function sync() {
    var out = {};
    Object.keys(state).forEach(function (k) {
      out[k] = state[k].masks.map(function (m) { return [m[0], m[1]]; });
    });
    document.getElementById("masks").value = JSON.stringify(out);
  }

  // the last selection inside an original cell (a click on the button may clear the live one)
  var lastRange = null;
  document.addEventListener("selectionchange", function () {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return;
    var r = sel.getRangeAt(0), n = r.commonAncestorContainer;
    while (n && !(n.classList && n.classList.contains("original"))) n = n.parentNode;
    if (n) lastRange = r.cloneRange();
  });

  document.getElementById("mask-selection").addEventListener("click", function () {
    var sel = window.getSelection();
    var range = sel && sel.rangeCount && !sel.isCollapsed ? sel.getRangeAt(0) : lastRange;
    lastRange = null;
    if (!range) return;
    var cell = range.commonAncestorContainer;
    while (cell && !(cell.classList && cell.classList.contains("original"))) cell = cell.parentNode;
    if (!cell) return;
    var field = cell.id.replace("original-", "");
    var a = offsetOf(range.startContainer, range.startOffset), b = offsetOf(range.endContainer, range.endOffset);
    if (a === null || b === null || b <= a) return;
    var s = state[field];
    // a new mask swallows the marks it overlaps
    var kept = s.masks.filter(function (m) { return m[1] <= a || m[0] >= b; });
    s.masks.forEach(function (m) {
      if (!(m[1] <= a || m[0] >= b)) { a = Math.min(a, m[0]); b = Math.max(b, m[1]); }
    });
    kept.push([a, b, "manual", ""]);
    s.masks = kept;
    if (sel) sel.removeAllRanges();
    render(field);
  });

  fields.forEach(function (f) { render(f.field); });
})();
