// keyproj: small progressive enhancements. Every page works without this file.
(function () {
  // Ask before destructive actions marked with data-confirm.
  document.addEventListener('submit', function (e) {
    // the button pressed may ask on its own (a delete inside a larger form)
    var msg = (e.submitter && e.submitter.getAttribute('data-confirm')) || e.target.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) { e.preventDefault(); return; }
    // a form that changes something is sent once: a second click while the first is on its
    // way is ignored (the server refuses repeats too)
    var f = e.target;
    if ((f.method || '').toLowerCase() === 'post') {
      if (f.getAttribute('data-sent')) { e.preventDefault(); return; }
      f.setAttribute('data-sent', '1');
    }
  });
  // back to a page from the browser's cache: its forms may be sent again
  window.addEventListener('pageshow', function () {
    document.querySelectorAll('form[data-sent]').forEach(function (f) { f.removeAttribute('data-sent'); });
  });
  // Long work (imports): say so while the server works.
  document.querySelectorAll('form[data-busy]').forEach(function (f) {
    f.addEventListener('submit', function () {
      var note = f.querySelector('.busy-note');
      if (note) { note.hidden = false; }
      var b = f.querySelector('button[type=submit]');
      if (b) { b.disabled = true; }
    });
  });
  // The hall screen fits its rows to the screen it is on: without ?h= it asks once for its own
  // height (the server computes the rows; without script it assumes 1080).
  if (document.body.classList.contains('hall') && !/[?&]h=/.test(location.search)) {
    var h = window.innerHeight;
    if (h > 0 && Math.abs(h - 1080) > 8) {
      location.replace(location.pathname + (location.search ? location.search + '&' : '?') + 'h=' + h);
    }
  }
  // Print buttons (inline handlers are not allowed by the CSP).
  // a printed page shows every folded list (the records behind a score)
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  });
  document.querySelectorAll('[data-print]').forEach(function (b) {
    b.addEventListener('click', function () { window.print(); });
  });
  // Filters: submit on change of a select, so the URL always reflects the filter. Only GET
  // forms: a form that changes something (issues, publishes, saves) is never sent by a select.
  document.querySelectorAll('form.filters select').forEach(function (s) {
    if ((s.form.method || '').toLowerCase() !== 'get') { return; }
    s.addEventListener('change', function () { s.form.submit(); });
  });
})();
