/* Attendance sheet: each tap is kept in the browser (localStorage) with its own id, then
   sent; without a connection the marks wait, the page says how many, and they go when the
   connection returns. The server keeps each id once, so sending twice counts once.
   Without JavaScript the same forms post one mark at a time. */
(function () {
  "use strict";
  var root = document.getElementById("attendance");
  if (!root || !window.localStorage || !window.fetch) return;
  var url = root.dataset.marksUrl;
  var key = "perisco-marks:" + url;
  var max = parseInt(root.dataset.max, 10) || 500;
  var status = document.getElementById("queue-status");
  var token = root.querySelector("[name=csrfmiddlewaretoken]");
  var text = root.dataset;
  var sending = false;
  var reload = false;
  var notes = [];
  var queued = false; // something was queued on this page: say when all is sent

  function load() {
    try { return JSON.parse(localStorage.getItem(key)) || []; } catch (e) { return []; }
  }
  function save(queue) { localStorage.setItem(key, JSON.stringify(queue)); }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function show() {
    if (!status) return;
    var n = load().length;
    var lines = notes.slice();
    if (n) lines.unshift(n === 1 ? text.oneWaiting : text.manyWaiting.replace("%(n)s", n));
    else if (queued && lines.length === 0) lines.push(text.allSent);
    status.hidden = lines.length === 0;
    status.textContent = lines.join(" ");
  }
  function paint(childId, mark) {
    var row = root.querySelector('.attendance-row[data-child="' + childId + '"]');
    if (!row) return;
    row.dataset.status = mark;
    var badge = row.querySelector(".attendance-state .badge");
    if (badge) {
      badge.className = "badge " + (mark === "present" ? "badge--ok" : "badge--off");
      badge.textContent = mark === "present" ? text.present : text.absent;
    }
  }
  function push(marks) {
    queued = true;
    save(load().concat(marks));
    marks.forEach(function (m) { paint(m.child, m.status); });
    show();
    flush();
  }
  function flush() {
    var queue = load();
    if (!queue.length || sending) { show(); return; }
    sending = true;
    var batch = queue.slice(0, max);
    var ids = {};
    batch.forEach(function (m) { ids[m.id] = true; });
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" },
      body: JSON.stringify({ marks: batch })
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (answer) {
      notes = [];
      if (answer.status === 200) {
        answer.body.results.forEach(function (r) {
          if (r.result === "refused") notes.push(r.message);
          else if (r.objection) notes.push(r.objection);
        });
        save(load().filter(function (m) { return !ids[m.id]; }));
      } else if (answer.status === 400 || answer.status === 409) {
        // Refused whole (the day was closed meanwhile…): said, not kept to fail again.
        notes.push(answer.body.error);
        save(load().filter(function (m) { return !ids[m.id]; }));
      }
    }).catch(function () {
      // No connection, or signed out: the marks stay here and are said to wait.
    }).then(function () {
      sending = false;
      show();
      if (load().length) { if (load().length < queue.length) flush(); }
      else if (reload) { window.location.reload(); }
    });
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-close")) {
      if (load().length) { event.preventDefault(); notes = [text.sendFirst]; show(); flush(); }
      return;
    }
    var now = new Date().toISOString();
    if (form.querySelector("[name=tous]")) {
      event.preventDefault();
      var rows = root.querySelectorAll('.attendance-row[data-expected="1"][data-status=""]');
      push(Array.prototype.map.call(rows, function (row) {
        return { id: newId(), child: parseInt(row.dataset.child, 10), status: "present", made_at: now };
      }));
      return;
    }
    if (!form.hasAttribute("data-mark")) return;
    event.preventDefault();
    var data = new FormData(form);
    if (!data.get("enfant")) return;
    if (form.hasAttribute("data-reload")) reload = true;
    push([{
      id: newId(),
      child: parseInt(data.get("enfant"), 10),
      status: data.get("statut"),
      made_at: now,
      arrival: data.get("arrivee") || null,
      departure: data.get("depart") || null
    }]);
  });
  window.addEventListener("online", flush);
  window.setInterval(flush, 15000);
  show();
  flush();
})();
