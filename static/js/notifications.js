/* FTU Hub live notifications: a small script, no library, no eval.
 *
 * What it does
 *   - opens a websocket to /ws/notifications/ and says {"type":"hello","last_id":N}; the server
 *     replays every stored notification with id > N, then streams live ones;
 *   - reconnects with exponential backoff and jitter (1 s doubling to 60 s, ±50 %);
 *   - while the socket is down, polls /notifications/feed?after=<id> every 30 s (same payloads);
 *   - ignores duplicates (a notification id is shown once);
 *   - keeps only the last id seen in sessionStorage (never any content, never localStorage);
 *   - updates the bell count and shows a toast (urgent ones stay until dismissed);
 *   - closes for good on 4401 (logged out / session ended) and 4403 (account deactivated).
 *
 * The htmx convention: for every new notification it dispatches, on document.body,
 *   "ftu:notify"          detail = {id, kind, urgency, title, link}
 *   "ftu:notify:<group>"  the kind's registry group: referral, raid, meeting, action, ...
 * A page refreshes a fragment when an event of its family arrives, without a full reload and
 * without eval:
 *   <div hx-get="/cases/inbox/fragment" hx-trigger="ftu:notify:referral from:body">…</div>
 */
(function () {
  "use strict";

  var STORE_KEY = "ftu.notify.lastId";
  var POLL_MS = 30000;
  var PING_MS = 25000;
  var BACKOFF_MIN = 1000;
  var BACKOFF_MAX = 60000;
  var NORMAL_TOAST_MS = 8000;
  var SEEN_MAX = 500;

  var bell, countEl, groups = {}, lastId = 0, unread = 0;

  // Indian digit grouping, as the server renders figures: 1234567 -> "12,34,567".
  function grouped(n) {
    var digits = String(n), last = digits.slice(-3), rest = digits.slice(0, -3);
    return rest ? rest.replace(/\B(?=(\d{2})+(?!\d))/g, ",") + "," + last : last;
  }
  var seen = {}, seenOrder = [];
  var socket = null, attempts = 0, reconnectTimer = null, pingTimer = null;
  var pollTimer = null, polling = false, stopped = false;

  function readLastId() {
    var fromPage = parseInt(bell.getAttribute("data-last-id") || "0", 10) || 0;
    var stored = 0;
    try { stored = parseInt(window.sessionStorage.getItem(STORE_KEY) || "0", 10) || 0; } catch (e) { /* storage blocked */ }
    // The page was rendered with the newest id at that moment: anything older is already in
    // the inbox; anything newer the socket replays.
    return Math.max(fromPage, stored);
  }

  function remember(id) {
    if (id > lastId) {
      lastId = id;
      try { window.sessionStorage.setItem(STORE_KEY, String(lastId)); } catch (e) { /* ignore */ }
    }
  }

  function setCount(n) {
    unread = Math.max(0, n);
    if (!countEl) { return; }
    countEl.textContent = grouped(unread);
    countEl.classList.toggle("empty", unread === 0);
  }

  function safeLink(link) {
    // Same-site paths only: never "//host", "javascript:" or another origin.
    return typeof link === "string" && link.charAt(0) === "/" && link.charAt(1) !== "/" ? link : "";
  }

  function dismiss(toast) {
    if (toast.parentNode) { toast.parentNode.removeChild(toast); }
  }

  function showToast(n) {
    var box = document.getElementById("toasts");
    if (!box) { return; }
    var urgent = n.urgency === "urgent";
    var toast = document.createElement("div");
    toast.className = "toast" + (urgent ? " urgent" : "");
    if (urgent) { toast.setAttribute("role", "alert"); }
    var link = safeLink(n.link);
    var text;
    if (link) {
      text = document.createElement("a");
      text.href = link;
    } else {
      text = document.createElement("span");
    }
    text.className = "toast-text";
    text.textContent = n.title;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", bell.getAttribute("data-close-label") || "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", function () { dismiss(toast); });
    toast.appendChild(text);
    toast.appendChild(close);
    box.appendChild(toast);
    if (!urgent) { window.setTimeout(function () { dismiss(toast); }, NORMAL_TOAST_MS); }
  }

  function fire(name, detail) {
    var event;
    try {
      event = new CustomEvent(name, { bubbles: true, detail: detail });
    } catch (e) {
      event = document.createEvent("CustomEvent");
      event.initCustomEvent(name, true, false, detail);
    }
    document.body.dispatchEvent(event);
  }

  function receive(n, live) {
    if (!n || typeof n.id !== "number" || seen[n.id] || n.id <= 0) { return; }
    seen[n.id] = true;
    seenOrder.push(n.id);
    if (seenOrder.length > SEEN_MAX) { delete seen[seenOrder.shift()]; }
    // Over the socket the server sends each id once, including one that committed after a
    // higher id (two transactions at once): new to this page whatever its order.  Polled
    // rows older than the last id are already counted.
    var fresh = live || n.id > lastId;
    remember(n.id);
    if (!fresh) { return; }
    if (live) { setCount(unread + 1); }
    showToast(n);
    var detail = { id: n.id, kind: n.kind, urgency: n.urgency, title: n.title, link: safeLink(n.link) };
    fire("ftu:notify", detail);
    var group = groups[n.kind] || String(n.kind || "").split(".")[0];
    if (group) { fire("ftu:notify:" + group, detail); }
  }

  // --- websocket ---------------------------------------------------------------------------

  function socketUrl() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + (bell.getAttribute("data-socket-path") || "/ws/notifications/");
  }

  function connect() {
    if (stopped || !("WebSocket" in window)) { startPolling(); return; }
    var opened = false;
    try {
      socket = new WebSocket(socketUrl());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket.addEventListener("open", function () {
      opened = true;
      socket.send(JSON.stringify({ type: "hello", last_id: lastId }));
      pingTimer = window.setInterval(function () {
        if (socket && socket.readyState === 1) { socket.send('{"type":"ping"}'); }
      }, PING_MS);
    });
    socket.addEventListener("message", function (e) {
      var msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      if (msg.type === "notification") {
        receive(msg.notification, true);
      } else if (msg.type === "synced") {
        attempts = 0;
        stopPolling();
        remember(msg.last_id || 0);
        setCount(msg.unread || 0);
      }
    });
    socket.addEventListener("close", function (e) {
      window.clearInterval(pingTimer);
      socket = null;
      if (e.code === 4401 || e.code === 4403) {
        stopped = true;
        stopPolling();
        document.body.classList.add("ftu-session-ended");
        fire("ftu:session-ended", { code: e.code });
        return;
      }
      if (!opened) { startPolling(); }  // blocked or refused: fall back while retrying
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (stopped || reconnectTimer) { return; }
    var base = Math.min(BACKOFF_MAX, BACKOFF_MIN * Math.pow(2, attempts));
    attempts += 1;
    var delay = base / 2 + Math.random() * base;  // ±50 % jitter: no thundering herd
    if (attempts > 2) { startPolling(); }
    reconnectTimer = window.setTimeout(function () { reconnectTimer = null; connect(); }, delay);
  }

  // --- polling fallback ---------------------------------------------------------------------

  function poll() {
    var url = (bell.getAttribute("data-feed-url") || "/notifications/feed") + "?after=" + encodeURIComponent(String(lastId));
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url, true);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status !== 200 || xhr.responseURL && xhr.responseURL.indexOf("/accounts/login") !== -1) {
        return;
      }
      var data;
      try { data = JSON.parse(xhr.responseText); } catch (e) { return; }
      (data.notifications || []).forEach(function (n) { receive(n, false); });
      remember(data.last_id || 0);
      setCount(data.unread || 0);
      if (data.more) { poll(); }
    };
    xhr.send();
  }

  function startPolling() {
    if (polling || stopped) { return; }
    polling = true;
    poll();
    pollTimer = window.setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    polling = false;
    window.clearInterval(pollTimer);
    pollTimer = null;
  }

  function init() {
    bell = document.getElementById("ftu-bell");
    if (!bell) { return; }
    countEl = document.getElementById("ftu-bell-count");
    // The page shows the count with Indian digit grouping (12,34,567).
    setCount(parseInt((countEl ? countEl.textContent : "0").replace(/,/g, ""), 10) || 0);
    var map = document.getElementById("ftu-notify-groups");
    if (map) {
      try { groups = JSON.parse(map.textContent) || {}; } catch (e) { groups = {}; }
    }
    lastId = readLastId();
    connect();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
