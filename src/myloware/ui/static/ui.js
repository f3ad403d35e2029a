// MyloWare Run Trace: link each extracted value to where it was read, in the document text
// and on the page pictures. Works without this script too (plain #anchors); this keeps the
// page still, lights up every piece of a span, links a field and its box both ways, and zooms.
(function () {
  "use strict";
  function byField(selector, attribute, name) {
    return Array.prototype.filter.call(document.querySelectorAll(selector), function (el) {
      return (el.getAttribute(attribute) || "").split(" ").indexOf(name) >= 0;
    });
  }
  function marksOf(name) { return byField("pre.doc mark", "data-fields", name); }
  function boxesOf(name) { return byField(".sheet a.box", "data-fields", name); }
  function light(name, on) {
    marksOf(name).concat(boxesOf(name)).forEach(function (m) { m.classList.toggle("hover", on); });
  }
  function clear(selector) {
    document.querySelectorAll(selector).forEach(function (el) { el.classList.remove("on"); });
  }
  // Select fields (a box may hold several): their rows, text marks and boxes; scroll the
  // other side into view.
  function select(names, from) {
    clear("pre.doc mark.on, .sheet a.box.on, tr.on");
    var marks = [], boxes = [], rows = [];
    names.forEach(function (name) {
      marks = marks.concat(marksOf(name));
      boxes = boxes.concat(boxesOf(name));
      var row = document.getElementById("field-" + name);
      if (row) { rows.push(row); }
    });
    marks.concat(boxes, rows).forEach(function (m) { m.classList.add("on"); });
    if (from === "box") {
      if (rows.length) { rows[0].scrollIntoView({ block: "nearest" }); }
    } else if (boxes.length) {
      boxes[0].scrollIntoView({ block: "center", inline: "center" });
    }
    var pane = marks.length ? marks[0].closest("pre.doc") : null;
    if (pane && pane.offsetParent !== null && from !== "box") {
      var box = pane.getBoundingClientRect();
      if (!boxes.length && (box.bottom < 0 || box.top > window.innerHeight)) {
        pane.scrollIntoView({ block: "start" });
      }
      pane.scrollTo({ top: marks[0].offsetTop - pane.clientHeight / 3, behavior: "smooth" });
    }
    return marks.length + boxes.length > 0;
  }
  document.querySelectorAll("a.src[data-field], a.onpage[data-field]").forEach(function (link) {
    var name = link.getAttribute("data-field");
    link.addEventListener("mouseenter", function () { light(name, true); });
    link.addEventListener("mouseleave", function () { light(name, false); });
    link.addEventListener("click", function (event) {
      if (select([name], "field")) { event.preventDefault(); }
    });
  });
  document.querySelectorAll(".sheet a.box").forEach(function (box) {
    var names = (box.getAttribute("data-fields") || "").split(" ");
    box.addEventListener("click", function (event) {
      event.preventDefault();
      select(names, "box");
    });
  });
  // Zoom: every page's width in percent of the pane, 50 % to 400 %.
  var level = 1, shown = document.getElementById("zoom-level");
  function zoom(to) {
    level = Math.min(4, Math.max(0.5, to));
    document.querySelectorAll(".viewer .sheet").forEach(function (s) {
      s.style.width = Math.round(level * 100) + "%";
    });
    if (shown) { shown.textContent = Math.round(level * 100) + "%"; }
  }
  document.querySelectorAll(".viewer [data-zoom]").forEach(function (button) {
    button.addEventListener("click", function () {
      var how = button.getAttribute("data-zoom");
      zoom(how === "in" ? level * 1.25 : how === "out" ? level / 1.25 : 1);
    });
  });
})();

// Live pages: listen to /ui/events (the tenant's own events, server-sent) and update without
// a timed reload. The lists fetch themselves again and swap their <main>; an order or item
// page that runs reloads; an item page waiting for a decision shows who decided elsewhere
// instead (a half-typed reason is not lost). Without EventSource, or when the stream cannot
// be opened, the page falls back to reloading every data-refresh seconds.
(function () {
  "use strict";
  var body = document.body, page = body.getAttribute("data-live");
  if (!page) { return; }
  var order = body.getAttribute("data-live-order"), item = body.getAttribute("data-live-item");
  var every = parseInt(body.getAttribute("data-refresh") || "0", 10);
  var fallback = null;
  function fallBack() {
    if (every > 0 && fallback === null) {
      fallback = window.setTimeout(function () { window.location.reload(); }, every * 1000);
    }
  }
  if (!window.EventSource || !window.fetch || !window.DOMParser) { fallBack(); return; }
  var state = document.getElementById("live-state");
  var banner = document.getElementById("live-banner");
  var DECIDED = { "approval.approved": "Approved", "approval.rejected": "Rejected",
    "approval.escalated": "Escalated", "approval.expired": "Expired" };
  var busy = false, again = false;
  function typing() {
    var el = document.activeElement;
    return el && el.closest("main") && /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName);
  }
  // Fetch this page again and swap its <main> (not while someone types in it).
  function refresh() {
    if (busy || typing()) { again = true; return; }
    busy = true; again = false;
    window.fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) {
        if (!r.ok || r.redirected) { window.location.reload(); return null; }
        return r.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        var main = document.querySelector("main");
        if (fresh && main) { main.replaceWith(fresh); }
      })
      .catch(function () { /* the next event tries again */ })
      .then(function () { busy = false; if (again) { soon(); } });
  }
  var timer = null;
  function soon() {  // several events in a burst: one fetch
    if (timer === null) { timer = window.setTimeout(function () { timer = null; refresh(); }, 250); }
  }
  document.addEventListener("focusout", function () { if (again) { soon(); } });
  function decidedElsewhere(data) {
    var what = DECIDED[data.type] || "Decided";
    var text = what + " by " + (data.decided_by || "someone") +
      (data.type === "approval.escalated" && data.group ? " (now waiting for " + data.group + ")" : "") +
      " at " + new Date(data.at).toLocaleTimeString() + ". This page is out of date.";
    banner.textContent = text;
    var reload = document.createElement("button");
    reload.type = "button"; reload.textContent = "Reload";
    reload.addEventListener("click", function () { window.location.reload(); });
    banner.appendChild(reload);
    banner.hidden = false;
    document.querySelectorAll("form[action$=\"/decision\"] button")
      .forEach(function (b) { b.disabled = true; });
  }
  function onEvent(data) {
    var approval = data.type.indexOf("approval.") === 0;
    if (page === "orders") {
      if (data.type.indexOf("work_order.") === 0 || approval ||
          /^work_item\.(completed|failed|rejected)$/.test(data.type)) { soon(); }
    } else if (page === "approvals") {
      if (approval) { soon(); }
    } else if (page === "order") {
      if (data.order === order) { soon(); }
    } else if (page === "item" && data.item === item) {
      if (DECIDED[data.type] && !every) { decidedElsewhere(data); }
      else if (every) { window.location.reload(); }  // it runs: show the next step
    }
  }
  var source = new EventSource("/ui/events");
  source.addEventListener("ready", function () {
    if (fallback !== null) { window.clearTimeout(fallback); fallback = null; }
    if (state) { state.hidden = false; }
  });
  source.addEventListener("message", function (e) {
    try { onEvent(JSON.parse(e.data)); } catch (err) { /* not for this page */ }
  });
  source.addEventListener("error", function () {
    if (state) { state.hidden = true; }
    if (source.readyState === EventSource.CLOSED) { fallBack(); }  // refused: reload on a timer
  });
})();

// Keyboard shortcuts on the item page, listed on the page: j/n next and k/p previous waiting
// item, a approve, r reject and e escalate (both focus the reason box; Ctrl+Enter there
// sends the chosen decision). Never while typing in a box.
(function () {
  "use strict";
  var form = document.getElementById("decide-form");
  var armed = null;
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function button(decision) {
    return form ? form.querySelector('button[name="decision"][value="' + decision + '"]') : null;
  }
  function follow(which) {
    var link = document.querySelector('a[data-key="' + which + '"]');
    if (link) { window.location.href = link.href; }
  }
  function arm(decision) {
    var reason = document.getElementById("reason"), chosen = button(decision);
    if (!reason || !chosen) { return; }
    if (armed) { armed.classList.remove("armed"); }
    armed = chosen;
    chosen.classList.add("armed");
    reason.focus();
  }
  document.addEventListener("keydown", function (event) {
    if (event.target && event.target.id === "reason" && armed && event.key === "Enter" &&
        (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      armed.click();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key;
    if (key === "j" || key === "n") { follow("next"); }
    else if (key === "k" || key === "p") { follow("prev"); }
    else if (key === "a" && button("APPROVED")) { event.preventDefault(); button("APPROVED").click(); }
    else if (key === "r") { event.preventDefault(); arm("REJECTED"); }
    else if (key === "e") { event.preventDefault(); arm("ESCALATED"); }
  });
})();
