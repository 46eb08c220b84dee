// The reply template picked fills the feedback note (the county edits the wording). A file of
// its own: the Content-Security-Policy allows scripts from the site only, never inline ones.
(function () {
  var data = JSON.parse(document.getElementById('item-data').textContent);
  document.querySelectorAll('select.reply-template').forEach(function (sel) {
    var note = sel.form.querySelector('textarea[data-reply-templates]');
    if (!note) return;
    var texts = JSON.parse(note.dataset.replyTemplates);
    // The result and reason being written in the 办结 form on this page, else the item's, else a gap.
    var typed = function (name, saved) {
      var el = document.querySelector('form[action$="/complete"] [name="' + name + '"], form[action$="/solve_now"] [name="' + name + '"]');
      return (el && el.value.trim()) || saved || '……';
    };
    var fill = function (t) {
      return t.split('{problem}').join(data.problem).split('{result}').join(typed('result', data.result))
        .split('{reason}').join(typed('outcome_reason', data.reason)).split('{unit}').join(data.unit)
        .split('{code}').join(data.code);
    };
    sel.addEventListener('change', function () { note.value = fill(texts[sel.value] || ''); });
  });
})();
