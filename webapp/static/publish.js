// 公开审核: marks in the original are what the public will not see; select text to mask more,
// click a mark to unmask it (a number only with a typed reason). Dashed marks are the redactor's
// questions: y masks, n keeps, then the next question. The masks, answers and reasons go to the
// server, which checks them (no approval while a question is open) and renders the public text.
(function () {
  "use strict";
  var dataEl = document.getElementById("publish-data");
  if (!dataEl) return;
  var fields = JSON.parse(dataEl.textContent).fields;
  var state = {}, answers = {}, reasons = {}, queue = [];
  fields.forEach(function (f) {
    state[f.field] = { original: f.original, masks: f.masks.map(function (m) { return m.slice(); }) };
    answers[f.field] = {};
    reasons[f.field] = {};
    f.masks.forEach(function (m) { if (m[4] === "ask") queue.push({ field: f.field, start: m[0], end: m[1] }); });
  });
  var box = document.getElementById("question-box");

  function key(m) { return m[0] + ":" + m[1]; }

  function current() {
    for (var i = 0; i < queue.length; i++) {
      var q = queue[i];
      if (!answers[q.field][q.start + ":" + q.end]) return q;
    }
    return null;
  }

  function showQuestion() {
    if (!box) return;
    var q = current(), open = queue.filter(function (x) { return !answers[x.field][x.start + ":" + x.end]; }).length;
    document.getElementById("question-count").textContent = open ? "（" + (queue.length - open + 1) + "/" + queue.length + "）" : "";
    document.getElementById("question-text").textContent = q
      ? "「" + state[q.field].original.slice(q.start, q.end) + "」是否为个人信息？"
      : "全部问题已回答 (all questions answered)";
    document.getElementById("answer-yes").disabled = !q;
    document.getElementById("answer-no").disabled = !q;
  }

  function answer(yes) {
    var q = current();
    if (!q) return;
    var s = state[q.field], k = q.start + ":" + q.end;
    answers[q.field][k] = yes ? "y" : "n";
    s.masks.forEach(function (m) { if (key(m) === k) m[4] = yes ? "mask" : "kept"; });
    if (!yes) s.masks = s.masks.filter(function (m) { return key(m) !== k; });
    render(q.field);
  }

  if (box) {
    document.getElementById("answer-yes").addEventListener("click", function () { answer(true); });
    document.getElementById("answer-no").addEventListener("click", function () { answer(false); });
    document.addEventListener("keydown", function (ev) {
      var t = ev.target && ev.target.tagName;
      if (t === "INPUT" || t === "TEXTAREA" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      if (ev.key === "y" || ev.key === "Y") { ev.preventDefault(); answer(true); }
      if (ev.key === "n" || ev.key === "N") { ev.preventDefault(); answer(false); }
    });
  }

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
      var q = current(), asked = m[4] === "ask";
      mark.title = asked ? "待确认：按 y 遮盖，n 保留 (a question: y masks, n keeps)" : "点击取消遮盖 (click to unmask)";
      mark.className = "pii pii-" + m[2] + (asked ? " pii-ask" : "") +
        (q && q.field === field && q.start === m[0] && q.end === m[1] ? " pii-current" : "");
      mark.addEventListener("click", function () {
        if (m[4] === "ask") {
          answers[field][key(m)] = "n";
        } else if (m[5]) {
          var why = window.prompt("取消遮盖号码须填写理由 (a reason is needed to unmask a number)", "");
          if (!why || !why.trim()) return;
          reasons[field][key(m)] = why.trim();
        }
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
    document.getElementById("answers").value = JSON.stringify(answers);
    document.getElementById("reasons").value = JSON.stringify(reasons);
    showQuestion();
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
