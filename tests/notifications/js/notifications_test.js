/* Runs static/js/notifications.js against a tiny fake browser (node, no packages).
 * Prints "ok <name>" per check and exits non-zero on the first failure. */
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");
const assert = require("assert");

const source = fs.readFileSync(path.join(__dirname, "../../../static/js/notifications.js"), "utf8");

function makeBrowser(opts) {
  const timers = [];
  let now = 0;
  const listeners = {};
  const events = [];
  const storage = {};
  const localStorageWrites = [];
  const sockets = [];
  const xhrs = [];

  function el(tag, attrs) {
    const node = {
      tagName: tag, attrs: Object.assign({}, attrs || {}), children: [], parentNode: null,
      textContent: "", className: "", listeners: {},
      classList: { set: new Set(), toggle(c, on) { on ? this.set.add(c) : this.set.delete(c); }, add(c) { this.set.add(c); }, contains(c) { return this.set.has(c); } },
      getAttribute(k) { return k in this.attrs ? this.attrs[k] : null; },
      setAttribute(k, v) { this.attrs[k] = String(v); },
      appendChild(c) { c.parentNode = this; this.children.push(c); return c; },
      removeChild(c) { this.children = this.children.filter((x) => x !== c); c.parentNode = null; },
      addEventListener(t, f) { (this.listeners[t] = this.listeners[t] || []).push(f); },
      dispatchEvent(e) { events.push(e); return true; },
    };
    return node;
  }
  const bell = el("a", { id: "ftu-bell", "data-last-id": String(opts.lastId || 0), "data-feed-url": "/notifications/feed", "data-socket-path": "/ws/notifications/", "data-close-label": "Dismiss" });
  const count = el("span", { id: "ftu-bell-count" });
  count.textContent = String(opts.unread || 0);
  const groups = el("script", { id: "ftu-notify-groups" });
  groups.textContent = JSON.stringify({ "referral.received": "referral", "raid.task": "raid" });
  const toasts = el("div", { id: "toasts" });
  const byId = { "ftu-bell": bell, "ftu-bell-count": count, "ftu-notify-groups": groups, toasts };
  const body = el("body");
  const document = {
    readyState: "complete", body,
    getElementById: (id) => byId[id] || null,
    createElement: (tag) => el(tag),
    addEventListener() {},
  };
  class FakeSocket {
    constructor(url) { this.url = url; this.sent = []; this.readyState = 0; this.l = {}; sockets.push(this); }
    addEventListener(t, f) { (this.l[t] = this.l[t] || []).push(f); }
    fire(t, e) { (this.l[t] || []).forEach((f) => f(e || {})); }
    open() { this.readyState = 1; this.fire("open"); }
    message(obj) { this.fire("message", { data: JSON.stringify(obj) }); }
    close(code) { this.readyState = 3; this.fire("close", { code }); }
    send(d) { this.sent.push(JSON.parse(d)); }
  }
  class FakeXHR {
    constructor() { xhrs.push(this); this.headers = {}; }
    open(m, u) { this.method = m; this.url = u; }
    setRequestHeader(k, v) { this.headers[k] = v; }
    send() {}
    respond(status, obj) { this.status = status; this.responseText = JSON.stringify(obj); this.responseURL = this.url; this.onload(); }
  }
  class CustomEvent { constructor(type, init) { this.type = type; this.detail = init.detail; this.bubbles = init.bubbles; } }
  const window = {
    location: { protocol: "https:", host: "hub.example" },
    sessionStorage: { getItem: (k) => (k in storage ? storage[k] : null), setItem: (k, v) => { storage[k] = String(v); } },
    localStorage: { setItem: (k, v) => localStorageWrites.push([k, v]), getItem: () => null },
    setTimeout: (f, ms) => { timers.push({ at: now + ms, f, every: 0 }); return timers.length; },
    setInterval: (f, ms) => { timers.push({ at: now + ms, f, every: ms }); return timers.length; },
    clearInterval: (id) => { if (id && timers[id - 1]) { timers[id - 1].dead = true; } },
    WebSocket: FakeSocket,
  };
  if (opts.noWebSocket) { delete window.WebSocket; }
  const context = { window, document, WebSocket: window.WebSocket, XMLHttpRequest: FakeXHR, CustomEvent, JSON, Math, String, parseInt, encodeURIComponent };
  if (opts.noWebSocket) { delete context.WebSocket; }
  if (opts.storedLastId) { storage["ftu.notify.lastId"] = String(opts.storedLastId); }
  vm.createContext(context);
  vm.runInContext(source, context);
  function advance(ms) {
    const end = now + ms;
    for (;;) {
      const due = timers.filter((t) => !t.dead && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) { break; }
      now = due.at;
      if (due.every) { due.at += due.every; } else { due.dead = true; }
      due.f();
    }
    now = end;
  }
  return { sockets, xhrs, events, storage, localStorageWrites, count, toasts, body, advance };
}

const n = (id, extra) => Object.assign({ id, kind: "referral.received", urgency: "normal", title: "FTU-2026-00" + id, link: "/cases/" }, extra || {});
function check(name, fn) { fn(); console.log("ok " + name); }

check("says hello with the page's last id and ignores duplicates", () => {
  const b = makeBrowser({ lastId: 7, unread: 2 });
  const ws = b.sockets[0];
  assert.strictEqual(ws.url, "wss://hub.example/ws/notifications/");
  ws.open();
  assert.deepStrictEqual(ws.sent[0], { type: "hello", last_id: 7 });
  ws.message({ type: "notification", notification: n(8) });
  ws.message({ type: "notification", notification: n(8) });
  ws.message({ type: "synced", last_id: 8, unread: 3 });
  assert.strictEqual(b.count.textContent, "3");
  assert.strictEqual(b.toasts.children.length, 1);
  assert.strictEqual(b.storage["ftu.notify.lastId"], "8");
  const types = b.events.map((e) => e.type);
  assert.deepStrictEqual(types, ["ftu:notify", "ftu:notify:referral"]);
  assert.deepStrictEqual(b.localStorageWrites, []);
});

check("shows a lower id that arrives after a higher one, once, and keeps the highest id", () => {
  const b = makeBrowser({ lastId: 7, unread: 0 });
  const ws = b.sockets[0];
  ws.open();
  ws.message({ type: "synced", last_id: 7, unread: 0 });
  ws.message({ type: "notification", notification: n(10) });
  ws.message({ type: "notification", notification: n(9) });  // committed after 10
  ws.message({ type: "notification", notification: n(9) });
  assert.strictEqual(b.toasts.children.length, 2);
  assert.strictEqual(b.count.textContent, "2");
  assert.strictEqual(b.storage["ftu.notify.lastId"], "10");
});

check("resumes from the id kept in sessionStorage (ids only, no content)", () => {
  const b = makeBrowser({ lastId: 3, storedLastId: 12 });
  b.sockets[0].open();
  assert.deepStrictEqual(b.sockets[0].sent[0], { type: "hello", last_id: 12 });
  b.sockets[0].message({ type: "notification", notification: n(13, { title: "CANARY" }) });
  assert.ok(!JSON.stringify(b.storage).includes("CANARY"));
});

check("normal toasts go away, urgent ones stay until dismissed", () => {
  const b = makeBrowser({});
  b.sockets[0].open();
  b.sockets[0].message({ type: "notification", notification: n(1) });
  b.sockets[0].message({ type: "notification", notification: n(2, { urgency: "urgent" }) });
  assert.strictEqual(b.toasts.children.length, 2);
  b.advance(9000);
  assert.strictEqual(b.toasts.children.length, 1);
  const urgent = b.toasts.children[0];
  assert.strictEqual(urgent.getAttribute("role"), "alert");
  const close = urgent.children[1];
  assert.strictEqual(close.getAttribute("aria-label"), "Dismiss");
  close.listeners.click[0]();
  assert.strictEqual(b.toasts.children.length, 0);
});

check("never links off-site from a toast", () => {
  const b = makeBrowser({});
  b.sockets[0].open();
  b.sockets[0].message({ type: "notification", notification: n(1, { link: "javascript:alert(1)" }) });
  b.sockets[0].message({ type: "notification", notification: n(2, { link: "//evil.example/" }) });
  for (const t of b.toasts.children) { assert.strictEqual(t.children[0].tagName, "span"); }
});

check("reconnects with growing, jittered delays and stops on 4401/4403", () => {
  const b = makeBrowser({});
  b.sockets[0].open();
  b.sockets[0].close(1006);
  b.advance(1600);  // first retry: 0.5–1.5 s
  assert.strictEqual(b.sockets.length, 2);
  b.sockets[1].close(1006);  // never opened
  b.advance(900);
  assert.strictEqual(b.sockets.length, 2);  // second retry waits 1–3 s
  b.advance(2200);
  assert.strictEqual(b.sockets.length, 3);
  b.sockets[2].open();
  b.sockets[2].close(4401);
  b.advance(120000);
  assert.strictEqual(b.sockets.length, 3);
  assert.ok(b.body.classList.contains("ftu-session-ended"));
});

check("falls back to polling every 30 s when websockets fail, and catches up", () => {
  const b = makeBrowser({ lastId: 5 });
  b.sockets[0].close(1006);  // refused before opening
  assert.strictEqual(b.xhrs.length, 1);
  assert.strictEqual(b.xhrs[0].url, "/notifications/feed?after=5");
  b.xhrs[0].respond(200, { notifications: [n(6), n(7)], last_id: 7, unread: 4, more: false });
  assert.strictEqual(b.count.textContent, "4");
  assert.strictEqual(b.events.filter((e) => e.type === "ftu:notify").length, 2);
  b.advance(30000);
  assert.ok(b.xhrs.some((x) => x.url === "/notifications/feed?after=7"));
});

check("polls only when there is no WebSocket at all", () => {
  const b = makeBrowser({ noWebSocket: true, lastId: 1 });
  assert.strictEqual(b.sockets.length, 0);
  assert.strictEqual(b.xhrs[0].url, "/notifications/feed?after=1");
});

check("keeps the page's Indian digit grouping when the count changes", () => {
  const b = makeBrowser({ lastId: 7, unread: "12,34,566" });
  const ws = b.sockets[0];
  ws.open();
  ws.message({ type: "notification", notification: n(8) });
  assert.strictEqual(b.count.textContent, "12,34,567");
  ws.message({ type: "synced", last_id: 8, unread: 1000 });
  assert.strictEqual(b.count.textContent, "1,000");
});
