/* Live triage queue: new and changed alerts arrive over the websocket; acknowledging happens in place. */
(function () {
  "use strict";

  var queue = document.getElementById("queue");
  var statusEl = document.getElementById("live-status");
  var announcer = document.getElementById("announcer");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  if (!queue || !statusEl || !csrfMeta) { return; }
  var csrf = csrfMeta.getAttribute("content");
  var RESYNC_MS = 120000;

  function text(key) { return statusEl.getAttribute("data-text-" + key) || ""; }

  function setStatus(state) {
    statusEl.setAttribute("data-state", state);
    statusEl.querySelector(".live-text").textContent = text(state);
  }

  function goToLogin() { window.location.assign("/login?next=/"); }

  function sortKey(li) {
    return [li.getAttribute("data-severity") === "red" ? 0 : 1,
            Number(li.getAttribute("data-opened")), Number(li.getAttribute("data-alert-id"))];
  }

  function before(a, b) {
    var ka = sortKey(a), kb = sortKey(b);
    for (var i = 0; i < ka.length; i++) {
      if (ka[i] !== kb[i]) { return ka[i] < kb[i]; }
    }
    return false;
  }

  function insertSorted(list, row) {
    var children = list.children;
    for (var i = 0; i < children.length; i++) {
      if (before(row, children[i])) { list.insertBefore(row, children[i]); return; }
    }
    list.appendChild(row);
  }

  function refreshCounts() {
    ["open", "acknowledged"].forEach(function (status) {
      var list = queue.querySelector('[data-list="' + status + '"]');
      var count = queue.querySelector('[data-count-for="' + status + '"]');
      var empty = queue.querySelector('[data-empty-for="' + status + '"]');
      if (!list) { return; }
      if (count) { count.textContent = String(list.children.length); }
      if (empty) { empty.hidden = list.children.length > 0; }
    });
  }

  function announce(message) {
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = message; }, 50);
  }

  function fromHtml(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    return tpl.content;
  }

  function fetchHtml(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (r) {
      if (r.redirected && r.url.indexOf("/login") !== -1) { goToLogin(); return null; }
      if (r.status === 404) { return null; }
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.text();
    });
  }

  /* Keep what a nurse is typing when the row is redrawn under her. */
  function carryInput(oldRow, newRow) {
    if (oldRow.getAttribute("data-status") !== newRow.getAttribute("data-status")) { return; }
    oldRow.querySelectorAll("input.note, select").forEach(function (field) {
      var twin = newRow.querySelector('[name="' + field.name + '"]');
      if (twin && field.value && twin.tagName === field.tagName) { twin.value = field.value; }
    });
    var active = document.activeElement;
    if (active && oldRow.contains(active) && active.name) {
      var again = newRow.querySelector('[name="' + active.name + '"]');
      if (again) { window.setTimeout(function () { again.focus(); }, 0); }
    }
  }

  function upsert(id, fresh) {
    return fetchHtml("/partials/alerts/" + encodeURIComponent(id)).then(function (html) {
      var existing = document.getElementById("alert-" + id);
      if (html === null) {
        if (existing) { existing.remove(); refreshCounts(); }
        return;
      }
      var row = fromHtml(html).firstElementChild;
      var list = queue.querySelector('[data-list="' + row.getAttribute("data-status") + '"]');
      if (!list) { return; }
      if (existing) { carryInput(existing, row); existing.remove(); }
      insertSorted(list, row);
      if (fresh && !existing) {
        row.classList.add("is-new");
        var label = row.querySelector(".sev-label");
        var name = row.querySelector(".patient");
        announce(text("new") + ": " + (label ? label.textContent : "") + " – " + (name ? name.textContent : ""));
      }
      refreshCounts();
    });
  }

  function typing() {
    var active = document.activeElement;
    return active && queue.contains(active) && (active.tagName === "INPUT" || active.tagName === "SELECT");
  }

  function resync() {
    if (typing()) { return Promise.resolve(); }
    return fetchHtml("/partials/queue").then(function (html) {
      if (html === null || typing()) { return; }
      queue.replaceChildren(fromHtml(html));
      refreshCounts();
    });
  }

  function handle(message) {
    if (message.type === "resync") { resync(); return; }
    if (message.type !== "alert" || !message.alert) { return; }
    var id = message.alert.id;
    if (message.event === "resolved") {
      var row = document.getElementById("alert-" + id);
      if (row) { row.remove(); refreshCounts(); }
      return;
    }
    upsert(id, message.event === "opened").catch(function () { setStatus("lost"); });
  }

  var backoff = 1000;
  var everConnected = false;

  function connect() {
    setStatus("connecting");
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws");
    socket.addEventListener("open", function () {
      backoff = 1000;
      setStatus("connected");
      if (everConnected) { resync(); } /* catch up on what happened while away */
      everConnected = true;
    });
    socket.addEventListener("message", function (event) {
      try { handle(JSON.parse(event.data)); } catch (err) { /* ignore a malformed frame */ }
    });
    socket.addEventListener("close", function () {
      setStatus("lost");
      fetch("/api/alerts?status=open", { credentials: "same-origin" }).then(function (r) {
        if (r.status === 401) { goToLogin(); }
      }).catch(function () { /* offline: keep retrying */ });
      window.setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 30000);
    });
  }

  function showError(form, message) {
    var box = form.parentElement.querySelector(".action-error");
    if (box) { box.textContent = message; box.hidden = false; }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!queue.contains(form)) { return; }
    var ack = form.classList.contains("js-ack");
    if (!ack && !form.classList.contains("js-resolve")) { return; }
    event.preventDefault();
    var id = form.getAttribute("data-alert-id");
    var body = { note: form.elements.note.value };
    if (!ack) { body.outcome = form.elements.outcome.value; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch("/api/alerts/" + encodeURIComponent(id) + (ack ? "/acknowledge" : "/resolve"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 401) { goToLogin(); return null; }
      if (!r.ok && r.status !== 409) { throw new Error("HTTP " + r.status); }
      if (!ack) {
        var row = document.getElementById("alert-" + id);
        if (row) { row.remove(); refreshCounts(); }
        return null;
      }
      return upsert(id, false);
    }).catch(function () {
      button.disabled = false;
      showError(form, text("failed"));
    });
  });

  window.setInterval(function () { resync(); }, RESYNC_MS);
  connect();
}());
