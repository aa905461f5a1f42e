// LIS-portalen: the little JavaScript the pages need on top of htmx. No inline scripts
// anywhere, so the Content-Security-Policy can forbid them. Texts come translated from
// data attributes on <body>.
(function () {
  "use strict";

  function announce(text) {
    // A failed HTMX request must not be a silent nothing: say it in the live region.
    var region = document.getElementById("messages");
    if (!region) { return; }
    var p = document.createElement("p");
    p.className = "message message-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    region.replaceChildren(p);
  }

  function messageFrom(xhr) {
    var fallback = document.body.dataset.msgError;
    if (!xhr || !xhr.responseText) { return fallback; }
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var node = doc.getElementById("error-message");
    return node ? node.textContent.trim() : fallback;
  }

  document.addEventListener("htmx:responseError", function (event) {
    announce(messageFrom(event.detail.xhr));
  });
  document.addEventListener("htmx:sendError", function () {
    announce(document.body.dataset.msgOffline);
  });

  // After a swap, move focus to what changed so keyboard and screen-reader users follow.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target) { return; }
    var wanted = target.querySelector("[data-focus]") || (target.matches("[data-focus]") ? target : null);
    if (!wanted && target.id === "main") { wanted = target.querySelector("h1") || target; }
    if (wanted) {
      if (!wanted.hasAttribute("tabindex")) { wanted.setAttribute("tabindex", "-1"); }
      wanted.focus();
    }
  });

  // Boosted navigation replaces <body>; keep the heading of the new page in focus.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.boosted) {
      var main = document.getElementById("main");
      var h1 = main && main.querySelector("h1");
      if (h1) { h1.setAttribute("tabindex", "-1"); h1.focus(); }
    }
  });

  // A form answered with a redirect (HX-Redirect) loads a whole new page with the outcome
  // in the message region: start there, so the outcome is read and focus is not lost.
  document.addEventListener("DOMContentLoaded", function () {
    var first = document.querySelector("#messages .message");
    if (first) { first.setAttribute("tabindex", "-1"); first.focus(); }
  });
})();
