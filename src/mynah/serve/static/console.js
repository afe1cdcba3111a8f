// The operator console: the agents' conversations (left) and one conversation's transcript
// with its actions (right), from /console/api/ behind the operator key. The key stays in
// this tab's sessionStorage and goes out only as `Authorization: Bearer`. Everything a
// customer, the bot or a knowledge base wrote is put into the page as text (textContent,
// DOM nodes), never parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const KEY_STORE = "mynah.operatorKey";
const API = "/console/api/conversations";
const POLL_MS = 3000; // between the end of one refresh and the start of the next
const MAX_BACKOFF_MS = 60000; // after errors, waits double up to this
const TIMEOUT_MS = 10000; // one request
const STATUS_LABEL = { bot: "bot", human: "waiting for a human", closed: "closed" };
const ROLE_LABEL = { customer: "customer", bot: "bot", human: "person" };

let key = sessionStorage.getItem(KEY_STORE) || "";
let selected = null; // {platform, conversation}
let epoch = 0; // bumped when the key, the filter or the selection changes: older answers are dropped
let timer = null;
let inFlight = false; // one refresh at a time ...
let again = false; // ... and one more right after it when asked for meanwhile
let failures = 0;
let stopped = true; // no polling without a key, or after the server refused it
let shownSig = ""; // the transcript on screen, to leave it (and its scroll) alone when unchanged
let shownStatus = null; // the selected conversation's status as last fetched
let busy = false; // an action is on its way

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// -- small helpers --------------------------------------------------------------------------

function el(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined && text !== null) n.textContent = String(text);
  return n;
}

function convPath(platform, conv, action) {
  return `${API}/${encodeURIComponent(platform)}/${encodeURIComponent(conv)}` + (action ? "/" + action : "");
}

// Only absolute http(s) links become links; javascript:, data: and the rest stay text.
function safeUrl(u) {
  if (typeof u !== "string" || !u) return null;
  try {
    const x = new URL(u);
    return x.protocol === "http:" || x.protocol === "https:" ? x.href : null;
  } catch {
    return null;
  }
}

function timeNode(seconds) {
  const t = el("time");
  if (typeof seconds !== "number" || !isFinite(seconds)) return t;
  const d = new Date(seconds * 1000);
  const today = d.toDateString() === new Date().toDateString();
  t.dateTime = d.toISOString();
  t.title = d.toLocaleString();
  t.textContent = today
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  return t;
}

function statusBadge(node, status) {
  node.className = "badge " + (STATUS_LABEL[status] ? status : "other");
  node.dataset.status = String(status);
  node.textContent = STATUS_LABEL[status] || String(status);
}

function who(customer, fallback) {
  return customer ? "@" + customer : String(fallback);
}

function showError(text) {
  const e = $("error");
  e.textContent = text || "";
  e.hidden = !text;
}

function note(text, bad) {
  const n = $("action-note");
  n.textContent = text || "";
  n.classList.toggle("bad", !!bad);
}

// -- the API --------------------------------------------------------------------------------

async function api(method, path, body) {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), TIMEOUT_MS);
  const headers = { Authorization: "Bearer " + key };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  try {
    let r;
    try {
      r = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: ctl.signal,
        cache: "no-store",
        credentials: "omit",
      });
    } catch (e) {
      throw new ApiError(0, e.name === "AbortError" ? "the server did not answer in time" : "cannot reach the server");
    }
    let data = null;
    try {
      data = await r.json();
    } catch {
      data = null;
    }
    if (!r.ok) {
      const m = data && data.error && typeof data.error.message === "string" ? data.error.message : r.statusText;
      throw new ApiError(r.status, m);
    }
    return data;
  } finally {
    clearTimeout(t);
  }
}

function fatal(e) {
  return e.status === 401 || e.status === 403 || e.status === 404;
}

function explain(e) {
  if (e.status === 401) return "Wrong operator key: the server refused it. Enter the key from [agent] operator_key_file.";
  if (e.status === 403) return "This server's console has no operator key: set [agent] operator_key_file in platform.toml and restart it.";
  if (e.status === 404) return "This server runs no agents: start mynah serve with --platform-config.";
  if (e.status === 0) return `${e.message}; trying again.`;
  return `The server answered ${e.status}: ${e.message}`;
}

// -- refreshing -----------------------------------------------------------------------------

function schedule() {
  clearTimeout(timer);
  timer = null;
  if (stopped || document.hidden) return; // visibilitychange starts it again
  const wait = failures ? Math.min(MAX_BACKOFF_MS, POLL_MS * 2 ** failures) : POLL_MS;
  timer = setTimeout(refresh, wait);
}

async function refresh() {
  clearTimeout(timer);
  timer = null;
  if (stopped || !key) return;
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = true;
  const mine = epoch;
  try {
    const filter = $("filter").value;
    const list = await api("GET", API + (filter ? "?status=" + encodeURIComponent(filter) : ""));
    if (mine !== epoch) return;
    renderList(Array.isArray(list && list.data) ? list.data : []);
    const sel = selected;
    if (sel) {
      try {
        const conv = await api("GET", convPath(sel.platform, sel.conversation));
        if (mine === epoch && selected === sel) renderDetail(conv);
      } catch (e) {
        if (e.status !== 404 || mine !== epoch) throw e;
        deselect(); // the conversation is gone (another console, a reset state)
      }
    }
    failures = 0;
    showError("");
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    if (mine !== epoch) return;
    showError(explain(e));
    if (fatal(e)) {
      stopped = true; // until a key is entered again
      clearAll();
    } else {
      failures++;
    }
  } finally {
    inFlight = false;
    if (again) {
      again = false;
      refresh();
    } else {
      schedule();
    }
  }
}

function restart() {
  epoch++;
  failures = 0;
  stopped = !key;
  if (inFlight) again = true;
  else refresh();
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && !stopped) refresh();
});

// -- the list -------------------------------------------------------------------------------

function sameConv(a, b) {
  return !!a && !!b && a.platform === b.platform && a.conversation === b.conversation;
}

function renderList(rows) {
  const ul = $("conversations");
  const focused = document.activeElement && document.activeElement.classList.contains("conv")
    ? { platform: document.activeElement.dataset.platform, conversation: document.activeElement.dataset.conversation }
    : null;
  const items = [];
  let refocus = null;
  for (const c of rows) {
    const li = el("li");
    const b = el("button", "conv");
    b.type = "button";
    b.dataset.platform = String(c.platform);
    b.dataset.conversation = String(c.conversation);
    const ref = { platform: b.dataset.platform, conversation: b.dataset.conversation };
    b.setAttribute("aria-current", String(sameConv(ref, selected)));
    const top = el("div", "conv-top");
    const badge = el("span");
    statusBadge(badge, c.status);
    const when = el("span", "when");
    when.appendChild(timeNode(c.updated));
    top.append(el("span", "platform", c.platform), el("span", "customer", who(c.customer, c.conversation)), badge);
    if (c.opted_out) top.appendChild(el("span", "badge opted", "opted out"));
    top.appendChild(when);
    b.appendChild(top);
    if (c.reason) b.appendChild(el("div", "reason", c.reason));
    if (c.last && typeof c.last.text === "string") {
      b.appendChild(el("div", "last", `${ROLE_LABEL[c.last.role] || c.last.role}: ${c.last.text}`));
    }
    b.addEventListener("click", () => select(ref));
    li.appendChild(b);
    items.push(li);
    if (sameConv(ref, focused)) refocus = b;
  }
  ul.replaceChildren(...items);
  $("empty").hidden = items.length > 0;
  if (refocus) refocus.focus();
}

// -- one conversation -----------------------------------------------------------------------

function select(ref) {
  if (sameConv(ref, selected)) return;
  selected = ref;
  shownSig = "";
  shownStatus = null;
  setButtons();
  for (const b of document.querySelectorAll("#conversations .conv")) {
    b.setAttribute("aria-current", String(sameConv(b.dataset, ref)));
  }
  $("detail-title").textContent = `${ref.conversation} on ${ref.platform}`;
  $("detail-status").textContent = "…";
  $("detail-reason").textContent = "";
  $("transcript").replaceChildren();
  $("detail").hidden = false;
  $("placeholder").hidden = true;
  note("");
  restart();
}

function deselect() {
  selected = null;
  shownSig = "";
  $("transcript").replaceChildren();
  $("detail").hidden = true;
  $("placeholder").hidden = false;
}

function clearAll() {
  $("conversations").replaceChildren();
  $("empty").hidden = true;
  $("updated").textContent = "";
  deselect();
}

function renderDetail(c) {
  $("detail-title").textContent = `${who(c.customer, c.conversation)} on ${c.platform}`;
  const badge = $("detail-status");
  statusBadge(badge, c.status);
  $("detail-opted").hidden = !c.opted_out;
  $("detail-reason").textContent = c.reason
    ? (c.status === "human" ? "Handed to a person: " : "Last handed to a person: ") + c.reason
    : "";
  shownStatus = c.status;
  setButtons();
  const transcript = Array.isArray(c.transcript) ? c.transcript : [];
  const sig = transcript.map((m) => m.n).join(",");
  if (sig === shownSig) return;
  const box = $("transcript");
  const atEnd = !shownSig || box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.replaceChildren(...transcript.map((m) => messageNode(m, c.customer)));
  shownSig = sig;
  if (atEnd) box.scrollTop = box.scrollHeight;
}

function messageNode(m, customer) {
  const role = ROLE_LABEL[m.role] ? m.role : "other";
  const li = el("li", "msg " + role);
  li.dataset.role = role;
  const head = el("div", "who", role === "customer" ? who(customer, "customer") : ROLE_LABEL[role] || String(m.role));
  head.appendChild(timeNode(m.at));
  li.append(head, el("div", "text", m.text));
  if (role === "bot" && Array.isArray(m.citations) && m.citations.length) li.appendChild(citationList(m.citations));
  return li;
}

// The sections a bot answer drew on: those it cited or quoted first, then the rest, faded.
function citationList(cites) {
  const used = (c) => !!(c && (c.cited || c.quoted));
  const order = cites
    .map((c, i) => ({ c: c || {}, i }))
    .sort((a, b) => Number(used(b.c)) - Number(used(a.c)) || a.i - b.i);
  const ol = el("ol", "citations");
  for (const { c, i } of order) {
    const li = el("li", used(c) ? "used" : "unused");
    const label = `[${c.index ?? i + 1}] ${c.title || c.id || "untitled"}`;
    const url = safeUrl(c.url);
    if (url) {
      const a = el("a", null, label);
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      li.appendChild(a);
    } else {
      li.appendChild(el("span", null, label));
    }
    if (c.quoted) li.appendChild(el("span", "tag", "quoted"));
    else if (c.cited) li.appendChild(el("span", "tag", "cited"));
    if (c.author) li.appendChild(el("span", "muted", " @" + c.author));
    if (c.snippet) li.appendChild(el("span", "snippet", c.snippet));
    ol.appendChild(li);
  }
  return ol;
}

// -- actions --------------------------------------------------------------------------------

// An action that would change nothing is disabled, and all are while one is on its way.
function setButtons() {
  $("send").disabled = busy;
  $("release").disabled = busy || shownStatus === "bot";
  $("takeover").disabled = busy || shownStatus === "human";
  $("close").disabled = busy || shownStatus === "closed";
}

async function act(action, body) {
  const sel = selected;
  if (!sel) return null;
  busy = true;
  setButtons();
  note(action === "reply" ? "sending…" : "");
  try {
    const r = await api("POST", convPath(sel.platform, sel.conversation, action), body);
    if (r && selected === sel && STATUS_LABEL[r.status]) {
      shownStatus = r.status; // the answer is the conversation as it is now
      statusBadge($("detail-status"), r.status);
    }
    return r;
  } catch (e) {
    note(e.status === 404 && selected ? `No such conversation (${e.message}).` : explain(e), true);
    if (e.status === 401 || e.status === 403) {
      showError(explain(e));
      stopped = true;
      clearAll();
    }
    return null;
  } finally {
    busy = false;
    setButtons();
    shownSig = ""; // redraw the state the server has now
    if (!stopped) refresh();
  }
}

$("reply-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const box = $("reply");
  const text = box.value;
  if (!text.trim()) {
    note("Write a reply first.", true);
    return;
  }
  const r = await act("reply", { text });
  if (r) {
    if (box.value === text) box.value = "";
    note("Queued: it goes to the customer in a moment, as the business (not watermarked).");
  }
});

$("reply").addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
    ev.preventDefault();
    $("reply-form").requestSubmit();
  }
});

$("release").addEventListener("click", async () => {
  if (await act("release")) note("Released: the bot answers this customer again.");
});
$("takeover").addEventListener("click", async () => {
  if (await act("takeover")) note("Taken over: the bot stays quiet until you release it.");
});
$("close").addEventListener("click", async () => {
  if (await act("close")) note("Closed. A new message from the customer reopens it.");
});

// -- the key and the filter -----------------------------------------------------------------

$("key-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const k = $("key").value.trim();
  clearAll();
  if (!k) {
    key = "";
    sessionStorage.removeItem(KEY_STORE);
    showError("Enter the operator key.");
    restart();
    return;
  }
  key = k;
  sessionStorage.setItem(KEY_STORE, k);
  $("placeholder").textContent = "Pick a conversation.";
  showError("");
  restart();
});

$("key-forget").addEventListener("click", () => {
  key = "";
  sessionStorage.removeItem(KEY_STORE);
  $("key").value = "";
  clearAll();
  showError("");
  restart();
});

$("filter").addEventListener("change", () => {
  $("conversations").replaceChildren();
  restart();
});

$("key").value = key;
if (key) restart();
else $("placeholder").textContent = "Enter the operator key to see the conversations.";
