// LIS-portalen, "Min enhet": a manager's people open under their row (htmx fetches and
// inserts the rows); a second press closes them again without a request. Focus moves to
// the first inserted row. Loaded by the page itself, so it can run twice after boosted
// navigation: the guard keeps one set of listeners.
(function () {
  "use strict";
  if (window.lisUnitTree) { return; }
  window.lisUnitTree = true;

  function isToggle(elt) {
    return elt && elt.matches && elt.matches("[data-unit-toggle]");
  }

  function rowsUnder(row) {
    var tbody = row.parentNode;
    return tbody ? tbody.querySelectorAll('tr[data-parent="' + row.dataset.key + '"]') : [];
  }

  function setState(toggle, expanded, controls) {
    toggle.setAttribute("aria-expanded", expanded ? "true" : "false");
    toggle.setAttribute("aria-controls", controls);
    var text = toggle.querySelector(".toggle-text");
    if (text) { text.textContent = expanded ? toggle.dataset.hide : toggle.dataset.show; }
  }

  function removeUnder(row) {
    Array.prototype.forEach.call(rowsUnder(row), function (child) {
      removeUnder(child);
      child.remove();
    });
  }

  // Pressed while open: close instead of fetching again.
  document.addEventListener("htmx:confirm", function (event) {
    var toggle = event.detail.elt;
    if (!isToggle(toggle) || toggle.getAttribute("aria-expanded") !== "true") { return; }
    event.preventDefault();
    removeUnder(toggle.closest("tr"));
    setState(toggle, false, toggle.dataset.controls);
  });

  // The rows were inserted after the manager's row, the swap's target.
  document.addEventListener("htmx:afterSettle", function (event) {
    var row = event.detail.target;
    if (event.target !== row || !row.matches || !row.matches("tr[data-key]")) { return; }
    var toggle = row.querySelector("[data-unit-toggle]");
    if (!toggle) { return; }
    var inserted = rowsUnder(row);
    if (!inserted.length) { return; }
    var ids = [];
    Array.prototype.forEach.call(inserted, function (child, n) {
      if (!child.id) { child.id = toggle.dataset.controls + "-" + n; }
      ids.push(child.id);
    });
    setState(toggle, true, ids.join(" "));
    var first = inserted[0].querySelector("[data-first]");
    if (first) { first.focus(); }
  });
})();
