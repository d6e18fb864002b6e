// OpenReg console: the little the pages need beyond HTML. No inline script anywhere (CSP script-src 'self').
// - data-confirm="question" on a form: ask before it is sent.
// - data-refresh="seconds" on an element with an id: re-fetch this page and swap that element in
//   place, paused while the tab is hidden; a failed fetch keeps what is shown and marks it stale.
"use strict";
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  function refresh(element, seconds) {
    var timer = window.setInterval(function () {
      if (document.hidden) return;
      fetch(window.location.href, { credentials: "same-origin", headers: { "X-Console-Partial": element.id } })
        .then(function (response) {
          if (response.redirected || !response.ok) throw new Error("refresh " + response.status);
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(element.id);
          if (!fresh) throw new Error("no " + element.id);
          element.replaceWith(fresh);
          window.clearInterval(timer);
          // the fresh copy says whether to go on (a finished run drops data-refresh)
          if (fresh.hasAttribute("data-refresh")) refresh(fresh, seconds);
        })
        .catch(function () {
          element.classList.add("stale");
        });
    }, seconds * 1000);
  }

  document.querySelectorAll("[data-refresh]").forEach(function (element) {
    var seconds = parseInt(element.getAttribute("data-refresh"), 10);
    if (element.id && seconds >= 5) refresh(element, seconds);
  });
})();
