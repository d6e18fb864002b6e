// OpenReg console: the little the pages need beyond HTML. No inline script anywhere (CSP script-src 'self').
// - data-confirm="question" on a form: ask before it is sent.
// - data-refresh="seconds" on an element with an id: re-fetch this page and swap that element in
//   place, paused while the tab is hidden; a failed fetch keeps what is shown and marks it stale.
// - data-events="url" on a list: follow a report run's live log (Server-Sent Events): each "log"
//   event becomes a list item (text only), "end" reloads the page so status, checks and files show.
//   data-labels holds the page's words for stages and levels ({"stage:query": "...", ...}).
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

  var LEVEL_BADGES = { start: "muted", ok: "ok", info: "muted", warn: "warn", error: "bad" };

  function text(tag, className, content) {
    var element = document.createElement(tag);
    if (className) element.className = className;
    element.textContent = content;
    return element;
  }

  function logItem(event, labels) {
    var level = /^[a-z]+$/.test(event.level) ? event.level : "info";
    var at = String(event.at || "").replace("T", " ").slice(0, 19);
    var item = document.createElement("li");
    item.className = "event level-" + level;
    var time = text("time", "", at + " UTC");
    time.setAttribute("datetime", at.replace(" ", "T") + "Z");
    item.appendChild(time);
    item.appendChild(text("span", "stage", labels["stage:" + event.stage] || event.stage));
    item.appendChild(text("span", "badge " + (LEVEL_BADGES[level] || "muted"), labels["level:" + level] || level));
    var message = text("span", "message", event.message);
    message.dir = "auto";  // the server's English log lines read left to right on Arabic pages
    item.appendChild(message);
    return item;
  }

  function follow(list) {
    if (!window.EventSource) return;  // the page's refresh link still works
    var labels = {};
    try {
      labels = JSON.parse(list.getAttribute("data-labels") || "{}");
    } catch (error) {
      labels = {};
    }
    var source = new EventSource(list.getAttribute("data-events"));
    source.addEventListener("log", function (message) {
      var event;
      try {
        event = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      list.appendChild(logItem(event, labels));
      var none = document.getElementById("no-events");
      if (none) none.remove();
    });
    source.addEventListener("end", function () {
      source.close();
      window.location.replace(window.location.pathname);
    });
  }

  document.querySelectorAll("[data-events]").forEach(follow);

  document.querySelectorAll("[data-refresh]").forEach(function (element) {
    var seconds = parseInt(element.getAttribute("data-refresh"), 10);
    if (element.id && seconds >= 5) refresh(element, seconds);
  });
})();
