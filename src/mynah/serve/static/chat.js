// The chat page: the conversation lives here (and in localStorage), each answer streams
// from /v1/chat/completions as server-sent events, and Stop aborts the request, which
// makes the server cancel the generation and free its slot.
"use strict";

const $ = (id) => document.getElementById(id);
const log = $("log"), input = $("input"), sendBtn = $("send"), stopBtn = $("stop"), status = $("status");
const SETTINGS = ["system", "temperature", "top_p", "max_tokens", "seed", "api_key"];
const grounding = $("grounding");
let history = JSON.parse(localStorage.getItem("mynah.history") || "[]");
let model = null;
let controller = null;
// Each bubble's number, which names its citation cards (cite-<number>-<n>). It restarts
// with the conversation, so a restored conversation gets the same ids as before a reload.
let msgCount = 0;

for (const id of SETTINGS) {
  const saved = localStorage.getItem("mynah." + id);
  if (saved !== null) $(id).value = saved;
  $(id).addEventListener("change", () => localStorage.setItem("mynah." + id, $(id).value));
}

grounding.checked = localStorage.getItem("mynah.grounding") !== "false";
grounding.addEventListener("change", () => localStorage.setItem("mynah.grounding", String(grounding.checked)));

$("settings-toggle").addEventListener("click", () => {
  const s = $("settings");
  s.hidden = !s.hidden;
  $("settings-toggle").setAttribute("aria-expanded", String(!s.hidden));
});

$("new").addEventListener("click", () => {
  if (controller) controller.abort();
  history = [];
  save();
  log.replaceChildren();
  msgCount = 0;
  input.focus();
});

function save() {
  localStorage.setItem("mynah.history", JSON.stringify(history));
}

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = $("api_key").value.trim();
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

function bubble(role, text, citations) {
  const div = document.createElement("div");
  div.className = "msg " + role;
  div.dataset.msg = String(++msgCount);
  if (role === "assistant") renderAnswer(div, text, citations);
  else div.textContent = text;
  log.appendChild(div);
  div.scrollIntoView({ block: "end" });
  return div;
}

// An answer and its cards, built anew whole: while it streams its citations are not known
// yet, so its [n] markers become links only in the last render, once they are.
function renderAnswer(div, text, citations) {
  div.replaceChildren(renderMarkdown(text, citeLinker(div, citations)));
  citationCards(div, citations);
}

function cardId(div, n) {
  return `cite-${div.dataset.msg}-${n}`;
}

// renderMarkdown's `cite`: a marker [n] links to card n of this answer when the answer has
// a citation n; any other [n] stays text (the model may write one the server never sent).
function citeLinker(div, citations) {
  const byIndex = new Map((citations || []).map((c) => [Number(c.index), c]));
  return (n) => {
    const c = byIndex.get(n);
    if (!c) return null;
    const a = document.createElement("a");
    a.className = "cite";
    a.textContent = `[${n}]`;
    a.href = "#" + cardId(div, n); // the browser scrolls to the card and sets the hash
    a.title = c.author ? "@" + c.author : "unknown author"; // a property: set as text
    a.addEventListener("click", () => highlight(document.getElementById(cardId(div, n))));
    return a;
  };
}

// One card is highlighted at a time: the one a marker was last followed to. The click sets
// the class itself, so the highlight does not hang on the browser's target element alone
// (:target, also styled, covers a reload that keeps the hash).
function highlight(card) {
  for (const old of document.querySelectorAll(".citation.highlight")) old.classList.remove("highlight");
  if (card) card.classList.add("highlight");
}

// The posts an answer was grounded in, as cards linking to them. Everything in a card is
// set as text (posts are written by anyone); only http(s) URLs become links. A post the
// answer neither cites nor quotes is dimmed; citations from before the server sent these
// flags (no `cited`, no `quoted`) are not, as nothing is known of their use.
function citationCards(div, citations) {
  if (!citations || !citations.length) return;
  const box = document.createElement("div");
  box.className = "citations";
  for (const c of citations) {
    const safe = typeof c.url === "string" && /^https?:\/\//i.test(c.url);
    const card = document.createElement(safe ? "a" : "div");
    card.className = "citation";
    card.id = cardId(div, c.index);
    if (c.cited === false && c.quoted === false) card.classList.add("unused");
    if (safe) {
      card.href = c.url;
      card.target = "_blank";
      card.rel = "noopener noreferrer";
    }
    const who = document.createElement("div");
    who.className = "who";
    who.textContent = `[${c.index}] ` + (c.author ? "@" + c.author : "unknown author");
    if (c.quoted) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "quoted";
      who.append(" ", badge);
    }
    const when = document.createElement("div");
    when.className = "when";
    when.textContent = [c.created_at, c.platform].filter(Boolean).join(" · ");
    const snippet = document.createElement("div");
    snippet.className = "snippet";
    snippet.textContent = c.snippet || "";
    card.append(who, when, snippet);
    box.appendChild(card);
  }
  div.appendChild(box);
}

function note(div, text) {
  const n = document.createElement("div");
  n.className = "note";
  n.textContent = text;
  div.appendChild(n);
}

async function loadModel() {
  try {
    const r = await fetch("/v1/models", { headers: headers() });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error ? body.error.message : r.statusText);
    model = body.data[0].id;
    $("model").textContent = model;
  } catch (e) {
    status.textContent = "Could not list models: " + e.message;
  }
}

async function send(text) {
  if (!model) await loadModel();
  if (!model) return;
  history.push({ role: "user", content: text });
  save();
  bubble("user", text);
  const div = bubble("assistant", "");
  div.dataset.state = "streaming";
  const messages = [];
  const system = $("system").value.trim();
  if (system) messages.push({ role: "system", content: system });
  messages.push(...history.map((m) => ({ role: m.role, content: m.content })));
  const body = {
    model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
    temperature: Number($("temperature").value),
    top_p: Number($("top_p").value),
    max_tokens: Number($("max_tokens").value),
  };
  if ($("seed").value !== "") body.seed = Number($("seed").value);
  if (!grounding.checked) body.grounding = false;
  controller = new AbortController();
  sendBtn.disabled = true;
  stopBtn.disabled = false;
  status.textContent = "generating…";
  let answer = "", finish = null, usage = null, citations = null, grounded = null;
  try {
    const r = await fetch("/v1/chat/completions", {
      method: "POST", headers: headers(), body: JSON.stringify(body), signal: controller.signal,
    });
    if (!r.ok) {
      const err = await r.json().catch(() => ({}));
      throw new Error(err.error ? err.error.message : r.status + " " + r.statusText);
    }
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const event = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        for (const line of event.split("\n")) {
          if (!line.startsWith("data: ")) continue;
          const data = line.slice(6);
          if (data === "[DONE]") continue;
          const chunk = JSON.parse(data);
          if (chunk.error) throw new Error(chunk.error.message);
          if (chunk.usage) usage = chunk.usage;
          if (chunk.citations) citations = chunk.citations;
          if (chunk.grounding) grounded = chunk.grounding;
          for (const c of chunk.choices || []) {
            if (c.delta && c.delta.content) answer += c.delta.content;
            if (c.finish_reason) finish = c.finish_reason;
          }
          div.replaceChildren(renderMarkdown(answer));
        }
      }
      div.scrollIntoView({ block: "end" });
    }
    renderAnswer(div, answer, citations);
    div.dataset.state = "done";
    if (finish === "length") note(div, "(cut off at the token limit)");
    // posts that did not fit the model's context: said, never silently left out
    if (grounded && grounded.warning) note(div, "(" + grounded.warning + ")");
    status.textContent = usage ? `${usage.completion_tokens} tokens` : "";
  } catch (e) {
    if (e.name === "AbortError") {
      div.dataset.state = "stopped";
      note(div, "(stopped)");
      status.textContent = "stopped";
    } else {
      div.dataset.state = "error";
      div.classList.add("error");
      note(div, "Error: " + e.message);
      status.textContent = "";
    }
  } finally {
    // An answer that ended before any text (a stop, the token limit) still has its
    // citations: keep it, so the cards come back after a reload too.
    if (answer || (citations && citations.length)) {
      history.push({ role: "assistant", content: answer, citations: citations || undefined });
      save();
    }
    controller = null;
    sendBtn.disabled = false;
    stopBtn.disabled = true;
  }
}

$("form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = input.value.trim();
  if (!text || controller) return;
  input.value = "";
  send(text);
});

input.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    $("form").requestSubmit();
  }
});

stopBtn.addEventListener("click", () => {
  if (controller) controller.abort();
});

for (const m of history) bubble(m.role, m.content, m.citations);
loadModel();
